namespace DnsBridge.Configuration.Validation;

internal static class StateValidator
{
    public static void Validate(StateConfig state, string path, Action<string, string> error)
    {
        switch (state.Provider)
        {
            case StateConfig.ProviderSqlite:
                if (string.IsNullOrWhiteSpace(state.Path))
                {
                    error($"{path}:{nameof(StateConfig.Path)}", "must not be empty");
                }

                // Forgetting Provider would leave every replica on its own file while the operator believes in cluster mode.
                if (state.ConnectionString is not null)
                {
                    error($"{path}:{nameof(StateConfig.ConnectionString)}", $"is only used with Provider '{StateConfig.ProviderPostgres}' (set {path}:Provider, or remove it)");
                }

                break;
            case StateConfig.ProviderPostgres:
                if (state.ConnectionString is null)
                {
                    error($"{path}:{nameof(StateConfig.ConnectionString)}", "is required with Provider 'postgres' (best from the environment: DNSBRIDGE__State__ConnectionString)");
                }
                else if (!PostgresConnectionString.TryParse(state.ConnectionString, out _, out var problem))
                {
                    error($"{path}:{nameof(StateConfig.ConnectionString)}", problem!);
                }

                break;
            default:
                error($"{path}:{nameof(StateConfig.Provider)}", $"must be '{StateConfig.ProviderSqlite}' or '{StateConfig.ProviderPostgres}', got '{state.Provider}'");
                break;
        }
    }
}
