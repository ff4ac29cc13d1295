namespace DnsBridge.Propagation;

/// <summary>The latest propagation snapshot per cutover (the API, the status page, preflight read it).</summary>
public interface IPropagationView
{
    PropagationSnapshot? Latest(string cutover);
}
