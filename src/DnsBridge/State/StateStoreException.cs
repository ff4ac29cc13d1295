namespace DnsBridge.State;

/// <summary>
/// A state store that cannot be opened or read: <c>serve</c> ends with a clear message and exit 2. A failed write is
/// never thrown (see <see cref="IStateDatabase.Problem"/>).
/// </summary>
internal sealed class StateStoreException(string message, Exception? inner = null) : Exception(message, inner)
{
    public StateStoreException()
        : this("state store error")
    {
    }

    public StateStoreException(string message)
        : this(message, null)
    {
    }
}
