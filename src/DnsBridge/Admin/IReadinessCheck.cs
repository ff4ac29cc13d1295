namespace DnsBridge.Admin;

/// <summary>One condition of <c>/readyz</c> (state store writable, config loaded ...). Cheap: it is polled by load balancers.</summary>
internal interface IReadinessCheck
{
    string Name { get; }

    /// <summary>Null when ready, else why not.</summary>
    string? Problem();
}
