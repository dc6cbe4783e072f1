namespace ChaosEdge.Tests.Deploy;

/// <summary>The harness's container image (deploy/container/Containerfile): pinned bases, a non-root user, what a run needs at run time.</summary>
public sealed class ContainerfileTests
{
    private static readonly Containerfile Image = Containerfile.Load();

    private static string FinalRuns => string.Join('\n', Image.Final.Where(i => i.Instruction == "RUN").Select(i => i.Arguments));

    [Test]
    public void Every_base_image_is_pinned_to_a_version_tag_never_latest()
    {
        var bases = Image.Stages.Select(stage => Containerfile.BaseImage(stage[0].Arguments)).ToList();

        Assert.That(bases, Has.Count.GreaterThanOrEqualTo(2), "a build stage and a runtime stage");
        foreach (var image in bases)
        {
            var name = image[(image.LastIndexOf('/') + 1)..];
            var tag = name.Contains(':', StringComparison.Ordinal) ? name[(name.IndexOf(':', StringComparison.Ordinal) + 1)..] : null;
            Assert.That(image, Does.Not.Contain("$"), "a base named by a build argument is not pinned by this file");
            Assert.That(tag, Is.Not.Null.And.Not.EqualTo("latest").And.Match("[0-9]"), $"'{image}' is not pinned to a version tag");
        }
    }

    [Test]
    public void The_build_stage_publishes_the_CLI_with_both_agent_compilers()
    {
        var build = string.Join('\n', Image.Stages.Take(Image.Stages.Count - 1).SelectMany(stage => stage).Where(i => i.Instruction == "RUN").Select(i => i.Arguments));

        Assert.That(build, Does.Contain("dotnet publish harness/ChaosEdge.Cli"));
        Assert.That(build, Does.Contain(" gcc ").And.Contain("libc6-dev").And.Contain("gcc-aarch64-linux-gnu").And.Contain("libc6-dev-arm64-cross"));
    }

    [Test]
    public void The_image_is_versioned_as_the_project_by_default()
    {
        var project = System.Xml.Linq.XDocument.Load(Support.Repository.Path("Directory.Build.props")).Descendants("Version").Single().Value;

        Assert.That(Image.Preamble, Does.Contain(("ARG", $"VERSION={project}")));
        Assert.That(string.Join('\n', Image.Stages[0].Select(i => i.Arguments)), Does.Contain("-p:Version=\"$VERSION\"").And.Contain("-p:SourceRevisionId=\"$REVISION\""));
        Assert.That(Image.Final.Single(i => i.Instruction == "LABEL").Arguments, Does.Contain("org.opencontainers.image.version=\"${VERSION}\""));
    }

    [Test]
    public void The_image_runs_as_a_non_root_user()
    {
        var user = Image.Final.Last(i => i.Instruction == "USER").Arguments;

        Assert.That(int.TryParse(user.Split(':')[0], out var uid) ? uid : -1, Is.EqualTo(10001), $"USER {user}");
    }

    [Test]
    public void The_runtime_stage_installs_ipmitool_chromium_fonts_and_an_init_but_no_ssh_client()
    {
        var packages = FinalRuns.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);

        Assert.That(FinalRuns, Does.Contain("apt-get install"));
        Assert.That(packages, Is.SupersetOf(new[] { "ipmitool", "chromium", "fonts-dejavu-core", "tini", "ca-certificates" }));
        Assert.That(packages, Has.None.StartsWith("openssh"), "SSH is SSH.NET, in the harness's own process");
    }

    [Test]
    public void The_entrypoint_runs_the_published_chaosedge_under_tini()
    {
        var copy = Image.Final.Single(i => i.Instruction == "COPY" && i.Arguments.StartsWith("--from=build", StringComparison.Ordinal)).Arguments.Split(' ');

        Assert.That(Image.Entrypoint, Is.EqualTo(new[] { "/usr/bin/tini", "--", $"{copy[^1]}/chaosedge" }));
    }
}
