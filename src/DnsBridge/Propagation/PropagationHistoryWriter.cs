using DnsBridge.State;

namespace DnsBridge.Propagation;

/// <summary>Records each resolver's answer when it changes: the propagation history of the report and charts.</summary>
internal sealed class PropagationHistoryWriter(IPropagationHistory history) : IPropagationListener
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Cutover, string Resolver), (string Answer, string Addresses)> _known = [];

    public void OnSnapshot(PropagationSnapshot snapshot)
    {
        lock (_gate)
        {
            foreach (var result in snapshot.Resolvers)
            {
                var answer = PropagationMetrics.Label(result.Answer);
                var addresses = string.Join(',', result.Addresses);
                var key = (snapshot.Cutover, result.Resolver.Name);
                if (_known.TryGetValue(key, out var known) && known == (answer, addresses))
                {
                    continue;
                }

                _known[key] = (answer, addresses);
                history.Add(new PropagationChange(snapshot.Cutover, result.Resolver.Name, result.CheckedAt, answer, addresses, result.Ttl));
            }
        }
    }
}
