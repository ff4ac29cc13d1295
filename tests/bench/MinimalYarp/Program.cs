using Yarp.ReverseProxy.Configuration;

// Usage: MinimalYarp --urls http://127.0.0.1:PORT --upstream http://127.0.0.1:UPSTREAM
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var upstream = builder.Configuration["upstream"] ?? throw new InvalidOperationException("--upstream is required");
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "upstream", Match = new RouteMatch { Path = "{**catch-all}" } }],
    [new ClusterConfig { ClusterId = "upstream", Destinations = new Dictionary<string, DestinationConfig> { ["u"] = new() { Address = upstream } } }]);
var app = builder.Build();
app.MapReverseProxy();
app.Run();
