using CimHil.Characterization.Tests;

// Entry point used when the test assembly runs as a child process (the kill -9 test); xunit does not use it.
return await ChildHost.MainAsync(args);
