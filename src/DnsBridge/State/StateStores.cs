using DnsBridge.Configuration;
using DnsBridge.State.Sqlite;

namespace DnsBridge.State;

/// <summary>
/// The state of one DnsBridge, by owner, over one database: opened together, closed together. The only place that
/// knows which implementation is in use.
/// </summary>
public sealed class StateStores : IDisposable
{
    private readonly IDisposable _owner;

    private StateStores(IStateDatabase database, ICutoverStatusStore statuses, IEventStore events, IResidualHistory residualHistory,
        IPropagationHistory propagationHistory, IDelegationStore delegations, IClusterStore cluster, IDisposable owner)
    {
        Database = database;
        Statuses = statuses;
        Events = events;
        ResidualHistory = residualHistory;
        PropagationHistory = propagationHistory;
        Delegations = delegations;
        Cluster = cluster;
        _owner = owner;
    }

    public IStateDatabase Database { get; }

    public ICutoverStatusStore Statuses { get; }

    public IEventStore Events { get; }

    public IResidualHistory ResidualHistory { get; }

    public IPropagationHistory PropagationHistory { get; }

    public IDelegationStore Delegations { get; }

    public IClusterStore Cluster { get; }

    /// <summary>
    /// Opens (and migrates) the configured store; throws <see cref="StateStoreException"/> with a message naming the
    /// config key when it cannot be used. <c>State:Provider</c> will choose here once PostgreSQL exists.
    /// </summary>
    public static StateStores Open(StateConfig config, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        ArgumentNullException.ThrowIfNull(config);
        if (config.IsPostgres)
        {
            throw new StateStoreException("State:Provider postgres: the PostgreSQL store is not built yet");
        }

        var database = new SqliteStateDatabase(config, loggers.CreateLogger<SqliteStateDatabase>());
        return new StateStores(database, new SqliteCutoverStatusStore(database), new SqliteEventStore(database),
            new SqliteResidualHistory(database), new SqlitePropagationHistory(database), new SqliteDelegationStore(database), new SqliteClusterStore(database), database);
    }

    public void Dispose() => _owner.Dispose();
}
