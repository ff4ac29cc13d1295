namespace DnsBridge.Propagation;

/// <summary>
/// How one pass spreads its questions to each resolver: a resolver asked N questions a pass gets them
/// <see cref="Spread"/>/N apart (evenly over the interval), never closer than 1/<see cref="MaxPerSecond"/> s. Public
/// resolvers rate-limit a client that sends hundreds of questions at once and answer it with errors, which would make
/// rows flap; when N questions at the cap take longer than the interval, the pass takes longer instead of bursting.
/// A pass with a zero <see cref="Spread"/> (the first one, or the one right after a configuration change) asks at the
/// cap's pace, so that rows show without waiting a whole interval.
/// </summary>
/// <param name="Start">when the pass begins: slot 0 of every resolver</param>
/// <param name="Interval">the configured interval (what a cycle is compared with)</param>
/// <param name="Spread">the time the questions to one resolver are spread over: the interval, or zero to hurry</param>
/// <param name="MaxPerSecond">the cap, <c>Propagation:MaxQuestionsPerSecondPerResolver</c></param>
/// <param name="NameQuestions">host names x record types over every cutover: a resolver's own row's questions</param>
/// <param name="Cutovers">cutovers in the pass (an authoritative server is also asked one SOA per cutover)</param>
/// <param name="Subnets">client subnets (a resolver that may forward them is asked once more per subnet)</param>
internal sealed record PacingPlan(DateTimeOffset Start, TimeSpan Interval, TimeSpan Spread, int MaxPerSecond, int NameQuestions, int Cutovers, int Subnets)
{
    /// <summary>
    /// The gap between two turns of one resolver: 1/<paramref name="maxPerSecond"/> s, rounded up to a tick. A question
    /// leaves on the 10 ms grid point its turn falls in (<see cref="ResolverPacer"/>), so two may leave up to 10 ms closer;
    /// no second of real send times ever holds more than the cap.
    /// </summary>
    public static TimeSpan MinimumGap(int maxPerSecond) => TimeSpan.FromTicks((TimeSpan.TicksPerSecond + maxPerSecond - 1) / maxPerSecond);

    /// <summary>Time between two slots of a resolver asked <paramref name="questions"/> questions over <paramref name="spread"/>.</summary>
    public static TimeSpan Spacing(int questions, TimeSpan spread, int maxPerSecond)
    {
        var even = questions <= 0 ? TimeSpan.Zero : spread / questions;
        var minimum = MinimumGap(maxPerSecond);
        return even > minimum ? even : minimum;
    }

    /// <summary>How often each question comes round: the interval, or longer when the cap cannot fit them in it.</summary>
    public static TimeSpan Cycle(int questions, TimeSpan interval, int maxPerSecond)
    {
        var capped = MinimumGap(maxPerSecond) * questions;
        return capped > interval ? capped : interval;
    }

    /// <summary>
    /// The questions a pass asks <paramref name="resolver"/> (its subnet rows included): an authoritative server one per
    /// name and type and an SOA, for every cutover at most; a resolver without a subnet of its own that may forward
    /// client subnets once more per subnet. An estimate: questions beyond it still keep the cap, only later.
    /// </summary>
    public int Questions(ResolverInfo resolver) =>
        resolver.Authoritative ? NameQuestions + Cutovers
        : resolver.Subnet is null && resolver.ForwardsClientSubnet != false ? NameQuestions * (1 + Subnets)
        : NameQuestions;

    public TimeSpan Spacing(ResolverInfo resolver) => Spacing(Questions(resolver), Spread, MaxPerSecond);

    public TimeSpan Cycle(ResolverInfo resolver) => Cycle(Questions(resolver), Interval, MaxPerSecond);

    /// <summary>Whether the cap makes this resolver's pass longer than the interval.</summary>
    public bool Stretched(ResolverInfo resolver) => Cycle(resolver) > Interval;
}
