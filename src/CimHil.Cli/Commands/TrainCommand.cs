using System.CommandLine;
using System.Globalization;
using CimHil.Core.Config;
using CimHil.Simulation.Data;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Models;
using CimHil.Simulation.Training;
using Serilog;
using Serilog.Events;
using Spectre.Console;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil train</c>: train a built-in model on Fashion-MNIST and save a safetensors checkpoint.</summary>
public static class TrainCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var model = new Option<string>("--model") { Description = $"Architecture: {string.Join(", ", ModelZoo.Names)}", DefaultValueFactory = _ => ModelZoo.LeNet5 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training set", DefaultValueFactory = _ => 8 };
        var output = new Option<string?>("--out") { Description = "Checkpoint to write (default: <model>-fmnist.safetensors)" };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation and shuffling", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch-size") { Description = "Samples per step", DefaultValueFactory = _ => 64 };
        var lr = new Option<float>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 1e-3f };
        var optimizer = new Option<string>("--optimizer") { Description = "adam or sgd (momentum 0.9)", DefaultValueFactory = _ => "adam" };
        var samples = new Option<int?>("--train-samples") { Description = "Use only the first N training samples" };
        var data = new Option<string?>("--data") { Description = $"Fashion-MNIST folder (default: ${FashionMnist.DirectoryVariable}, else {FashionMnist.DefaultDirectory})" };
        var threads = new Option<int>("--blas-threads") { Description = "OpenBLAS threads (1 is often fastest for LeNet-sized layers)", DefaultValueFactory = _ => 1 };
        var json = CliServices.JsonOption();
        var command = new Command("train", "Train a model on Fashion-MNIST (floating point, nominal weights) and save it as safetensors")
        {
            model, epochs, output, seed, batch, lr, optimizer, samples, data, threads, json,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var arch = parse.GetValue(model)!;
            if (!ModelZoo.Names.Contains(arch))
            {
                throw new CliUsageException($"--model {arch}: unknown; known models: {string.Join(", ", ModelZoo.Names)}");
            }

            var optimizerKind = parse.GetValue(optimizer)!.ToUpperInvariant() switch
            {
                "ADAM" => OptimizerKind.Adam,
                "SGD" => OptimizerKind.Sgd,
                var other => throw new CliUsageException($"--optimizer {other}: must be adam or sgd"),
            };
            var options = new TrainerOptions
            {
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                Seed = parse.GetValue(seed),
                LearningRate = parse.GetValue(lr),
                Optimizer = optimizerKind,
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            var outPath = parse.GetValue(output) ?? $"{arch}-fmnist.safetensors";
            var logger = TrainingLogger(services, parse);
            Gemm.SetOpenBlasThreads(Math.Max(1, parse.GetValue(threads)));
            Dataset train, test;
            try
            {
                (train, test) = await FashionMnist.LoadAsync(parse.GetValue(data), ct);
            }
            catch (DatasetFormatException ex)
            {
                // InvalidDataException is what the command runner reports as bad input (exit code 3).
                throw new InvalidDataException(ex.Message, ex);
            }

            if (parse.GetValue(samples) is { } n)
            {
                train = n >= 1 ? train.Take(n) : throw new CliUsageException($"--train-samples {n}: must be ≥ 1");
            }

            var network = ModelZoo.Create(arch, options.Seed);
            var trainer = new Trainer(options, logger);
            var quiet = parse.GetValue(json) || Console.IsOutputRedirected;
            TrainingResult result;
            if (quiet)
            {
                result = await trainer.TrainAsync(network, train, test, null, ct);
            }
            else
            {
                services.Error.WriteLine($"{network.Architecture}: {network.ParameterCount} parameters; GEMM: {Gemm.Description}");
                result = await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask($"epoch 1/{options.Epochs}", maxValue: options.Epochs);
                        var reporter = new Reporter(p =>
                        {
                            task.Value = p.Epoch - 1 + ((double)p.Step / p.StepsPerEpoch);
                            task.Description = p.CompletedEpoch is { TestAccuracy: { } acc }
                                ? $"epoch {p.Epoch}/{p.Epochs} test {acc:P2}"
                                : $"epoch {p.Epoch}/{p.Epochs} loss {p.RunningLoss:F3}";
                        });
                        return await trainer.TrainAsync(network, train, test, reporter, ct);
                    });
            }

            var accuracy = result.FinalTestAccuracy ?? 0;
            await Checkpoint.SaveAsync(
                network,
                outPath,
                new Dictionary<string, string>
                {
                    ["test_accuracy"] = accuracy.ToString("F4", CultureInfo.InvariantCulture),
                    ["epochs"] = options.Epochs.ToString(CultureInfo.InvariantCulture),
                    ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
                    ["batch_size"] = options.BatchSize.ToString(CultureInfo.InvariantCulture),
                    ["learning_rate"] = options.LearningRate.ToString(CultureInfo.InvariantCulture),
                    ["optimizer"] = options.Optimizer.ToString(),
                    ["method"] = result.Method,
                    ["dataset"] = "fashion-mnist",
                },
                ct);

            if (parse.GetValue(json))
            {
                services.WriteJson(new { model = arch, checkpoint = outPath, testAccuracy = accuracy, result.TotalSeconds, epochs = result.Epochs });
                return ExitCodes.Success;
            }

            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("Epoch").AddColumn("Train loss").AddColumn("Train acc.").AddColumn("Test acc.").AddColumn("Seconds");
            foreach (var e in result.Epochs)
            {
                table.AddRow(
                    e.Epoch.ToString(CultureInfo.InvariantCulture),
                    e.TrainLoss.ToString("F4", CultureInfo.InvariantCulture),
                    e.TrainAccuracy.ToString("P2", CultureInfo.InvariantCulture),
                    e.TestAccuracy?.ToString("P2", CultureInfo.InvariantCulture) ?? "-",
                    e.Seconds.ToString("F1", CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            services.Output.WriteLine($"Saved {outPath} (test accuracy {accuracy.ToString("P2", CultureInfo.InvariantCulture)})");
            return ExitCodes.Success;
        });
        return command;
    }

    // Training needs no bench: without a hil-config.json, log warnings to stderr instead of failing on the missing file.
    private static ILogger TrainingLogger(CliServices services, ParseResult parse)
    {
        try
        {
            return services.Logger(parse);
        }
        catch (ConfigException)
        {
            var verbose = parse.GetValue(services.VerboseOption);
            return new LoggerConfiguration()
                .MinimumLevel.Is(verbose ? LogEventLevel.Debug : LogEventLevel.Warning)
                .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose)
                .CreateLogger();
        }
    }

    private sealed class Reporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
