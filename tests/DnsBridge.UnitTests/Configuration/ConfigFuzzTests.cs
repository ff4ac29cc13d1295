using System.Text;
using DnsBridge.Configuration;
using Microsoft.Extensions.Configuration;

namespace DnsBridge.UnitTests.Configuration;

/// <summary>
/// Random and mutated configuration files: the loader either accepts them or reports errors with key paths; it
/// never throws, never hangs, and a config it accepts is one the validator would accept again.
/// </summary>
public sealed class ConfigFuzzTests
{
    private static readonly string Example = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "config", "dnsbridge.example.json"));

    private static (DnsBridgeConfig? Config, IReadOnlyList<ConfigError> Errors) Load(string text)
    {
        IConfiguration configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(text))).Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            // Not JSON at all: the file loader turns this into one error naming the file (covered by the reload tests).
            return (null, [new ConfigError("(file)", e.Message)]);
        }

        return ConfigLoader.Read(configuration, Path.GetTempPath());
    }

    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int>();
        for (var i = 0; i < 8; i++)
        {
            seeds.Add(i);
        }

        return seeds;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Mutated_example_configs_are_accepted_or_reported_never_thrown(int seed)
    {
        var random = new Random(seed);
        string[] junk = ["", "-1", "0", "99999999999999999999", "1e309", "null", "true", "\"\"", "\"x\"", "[]", "{}", "\"00:00:00\"", "\"-00:00:01\"",
            "\"999.1.1.1\"", "\"::\"", "\"http://\"", "\"\\u0000\"", "\"" + new string('a', 5000) + "\"", "[[[[[]]]]]", "\"ünïcødé\""];
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 250; i++)
        {
            var text = Mutate(Example, random, junk);
            AssertConfigOrKeyedErrors(Load(text));
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"250 configs took {watch.Elapsed}");
    }

    [Fact]
    public void Random_bytes_never_escape_as_exceptions()
    {
        var random = new Random(42);
        for (var i = 0; i < 300; i++)
        {
            var bytes = new byte[random.Next(0, 400)];
            random.NextBytes(bytes);
            var text = random.Next(2) == 0 ? Encoding.UTF8.GetString(bytes) : "{\"DnsBridge\":" + Encoding.Latin1.GetString(bytes) + "}";
            var outcome = Load(text);

            // Random bytes never make a usable config (there is no cutover in them): always a list of errors.
            Assert.NotEmpty(outcome.Errors);
            AssertConfigOrKeyedErrors(outcome);
        }
    }

    /// <summary>
    /// Every outcome is one of two things: a config with no error that validates again unchanged (normalization
    /// is stable), or errors that each name where the problem is (a key path under DnsBridge, or the file when it
    /// is not JSON at all) and what it is.
    /// </summary>
    private static void AssertConfigOrKeyedErrors((DnsBridgeConfig? Config, IReadOnlyList<ConfigError> Errors) outcome)
    {
        var (config, errors) = outcome;
        if (errors.Count == 0)
        {
            Assert.NotNull(config);
            Assert.Empty(ConfigValidator.Validate(config, Path.GetTempPath()).Errors);
            return;
        }

        Assert.All(errors, e =>
        {
            Assert.True(e.Path == "(file)" || e.Path == DnsBridgeConfig.SectionName || e.Path.StartsWith(DnsBridgeConfig.SectionName + ":", StringComparison.OrdinalIgnoreCase),
                $"not a key path: '{e.Path}' ({e.Message})");
            Assert.False(string.IsNullOrWhiteSpace(e.Message), $"no message for {e.Path}");
        });
    }

    /// <summary>Replaces a random JSON value with junk, deletes a random line, or duplicates one.</summary>
    private static string Mutate(string json, Random random, string[] junk)
    {
        var text = json;
        for (var m = random.Next(1, 4); m > 0; m--)
        {
            var lines = text.Split('\n').ToList();
            var line = random.Next(lines.Count);
            switch (random.Next(3))
            {
                case 0:
                    var colon = lines[line].IndexOf(": ", StringComparison.Ordinal);
                    if (colon > 0)
                    {
                        var rest = lines[line][(colon + 2)..];
                        var end = rest.IndexOfAny([',', '}']);
                        lines[line] = lines[line][..(colon + 2)] + junk[random.Next(junk.Length)] + (end >= 0 ? rest[end..] : "");
                    }

                    break;
                case 1:
                    lines.RemoveAt(line);
                    break;
                default:
                    lines.Insert(line, lines[line]);
                    break;
            }

            text = string.Join('\n', lines);
        }

        return text;
    }
}
