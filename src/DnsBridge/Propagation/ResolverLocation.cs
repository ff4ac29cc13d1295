namespace DnsBridge.Propagation;

/// <summary>
/// Where a resolver is drawn on the status page's map: the city of the operator's documented location (for an anycast
/// service, its headquarters: it answers from many places), in decimal degrees.
/// </summary>
internal sealed record ResolverLocation(string City, double Latitude, double Longitude);
