using CimHil.Core.Config;
using CimHil.Workflows.Slurm;

namespace CimHil.Workflows.Tests.Slurm;

public sealed class SlurmSettingsTests
{
    [Fact]
    public void Every_key_is_read()
    {
        var s = SlurmSettings.FromJson(JsonSection.Parse(
            """{ "partition": "p", "account": "a", "timeLimit": "10", "cpusPerTask": 8, "gpusPerTask": 2, "sbatchOptions": ["--qos=x"], "shards": 16, "pollSeconds": 5, "requireSharedPath": false }""", "slurm"));
        Assert.Equal(new SlurmSettings { Partition = "p", Account = "a", TimeLimit = "10", CpusPerTask = 8, GpusPerTask = 2, SbatchOptions = s.SbatchOptions, Shards = 16, PollSeconds = 5, RequireSharedPath = false }, s);
        Assert.Equal(["--qos=x"], s.SbatchOptions);
    }

    [Theory]
    [InlineData("""{ "partiton": "p" }""", "partiton")]
    [InlineData("""{ "timeLimit": "1h" }""", "timeLimit")]
    [InlineData("""{ "sbatchOptions": ["qos=x"] }""", "sbatchOptions[0]")]
    [InlineData("""{ "shards": 0 }""", "shards")]
    [InlineData("""{ "cpusPerTask": 0 }""", "cpusPerTask")]
    public void A_bad_key_or_value_is_refused_with_its_json_path(string json, string key)
    {
        var ex = Assert.Throws<ConfigException>(() => SlurmSettings.FromJson(JsonSection.Parse(json, "slurm")));
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }
}
