using DnsBridge.Configuration;
using DnsBridge.State.Postgres;
using DnsBridge.State.Sqlite;

namespace DnsBridge.State;

/// <summary>
/// The state of one DnsBridge, by owner, over one database: opened together, closed together. The only place that
/// knows which implementation is in use.
/// </summary>
internal sealed class StateStores : IDisposable
{
    private readonly IDisposable _owner;

    private StateStores(IStateDatabase database, ICutoverStatusStore statuses, IEventStore events, IResidualHistory residualHistory,
        IPropagationHistory propagationHistory, IDelegationStore delegations, IClusterStore cluster, IPhaseStore phases, IDisposable owner)
    {
        Database = database;
        Statuses = statuses;
        Events = events;
        ResidualHistory = residualHistory;
        PropagationHistory = propagationHistory;
        Delegations = delegations;
        Cluster = cluster;
        Phases = phases;
        _owner = owner;
    }

    public IStateDatabase Database { get; }

    public ICutoverStatusStore Statuses { get; }

    public IEventStore Events { get; }

    public IResidualHistory ResidualHistory { get; }

    public IPropagationHistory PropagationHistory { get; }

    public IDelegationStore Delegations { get; }

    public IClusterStore Cluster { get; }

    public IPhaseStore Phases { get; }

    /// <summary>
    /// Opens (and migrates) the store <c>State:Provider</c> names; throws <see cref="StateStoreException"/> with a
    /// message naming the config key (never the connection string) when it cannot be used.
    /// </summary>
    public static StateStores Open(StateConfig config, ILoggerFactory loggers, ILeaderTerm? fence = null)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        ArgumentNullException.ThrowIfNull(config);
        if (config.IsPostgres)
        {
            var postgres = new PostgresStateDatabase(config, loggers.CreateLogger<PostgresStateDatabase>(), fence);
            return new StateStores(postgres, new PostgresCutoverStatusStore(postgres), new PostgresEventStore(postgres),
                new PostgresResidualHistory(postgres), new PostgresPropagationHistory(postgres), new PostgresDelegationStore(postgres), new PostgresClusterStore(postgres), new PostgresPhaseStore(postgres), postgres);
        }

        var database = new SqliteStateDatabase(config, loggers.CreateLogger<SqliteStateDatabase>());
        return new StateStores(database, new SqliteCutoverStatusStore(database), new SqliteEventStore(database),
            new SqliteResidualHistory(database), new SqlitePropagationHistory(database), new SqliteDelegationStore(database), new SqliteClusterStore(database), new SqlitePhaseStore(database), database);
    }

    public void Dispose() => _owner.Dispose();
}
