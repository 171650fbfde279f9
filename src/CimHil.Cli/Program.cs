using CimHil.Cli;
using Spectre.Console;

if (Console.IsOutputRedirected)
{
    // A file or a pipe gets plain text. Spectre.Console's AnsiDetector decides by the TERM variable alone on Unix, so with
    // TERM=xterm a summary table, [bold] markup or a [link] written into a log or a pipe would carry escape sequences.
    AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.No,
        ColorSystem = ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
        Out = new AnsiConsoleOutput(Console.Out),
    });
}

return await CliApp.RunAsync(args, Console.Out, Console.Error);
