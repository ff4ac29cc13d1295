namespace DnsBridge.Configuration.Validation;

internal static class StateValidator
{
    public static void Validate(StateConfig state, string path, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(state.Path))
        {
            error($"{path}:Path", "must not be empty");
        }
    }
}
