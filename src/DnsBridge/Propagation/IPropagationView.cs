namespace DnsBridge.Propagation;

/// <summary>The latest propagation snapshot per cutover (the API, the status page, preflight read it).</summary>
internal interface IPropagationView
{
    PropagationSnapshot? Latest(string cutover);
}
