using DnsBridge.Cli;

return await DnsBridgeCommand.RunAsync(args);
