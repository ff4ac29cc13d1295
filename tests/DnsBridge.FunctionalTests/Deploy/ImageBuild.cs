namespace DnsBridge.FunctionalTests.Deploy;

/// <summary>
/// The image build (stand-in bases, a restore and a Native AOT compile in podman) takes both cores for minutes: its
/// tests run alone, after the others, so no timing-sensitive test shares the machine with it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ImageBuild
{
    public const string Name = "image build";
}
