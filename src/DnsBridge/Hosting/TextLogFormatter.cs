using System.Globalization;
using DnsBridge.Escaping;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace DnsBridge.Hosting;

/// <summary>
/// <c>--log-format text</c>: one line per event, read by people on a terminal. The line carries what clients and DNS
/// servers sent (paths, user agents, forwarded addresses, names, errors), so its control characters are escaped
/// (<see cref="Untrusted"/>): a path with <c>%1b[2J</c> or <c>%0a</c> would otherwise clear the screen or forge a line.
/// An exception keeps its lines, each indented under its event and escaped alike.
/// </summary>
internal sealed class TextLogFormatter : ITextFormatter
{
    private readonly MessageTemplateTextFormatter _line = new("{Timestamp:HH:mm:ss.fff} {Level:u3} {SourceContext}: {Message:lj}", CultureInfo.InvariantCulture);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        using var line = new StringWriter(CultureInfo.InvariantCulture);
        _line.Format(logEvent, line);
        output.WriteLine(Untrusted.Escape(line.ToString()));
        if (logEvent.Exception is { } exception)
        {
            foreach (var text in exception.ToString().Split('\n'))
            {
                output.Write("  ");
                output.WriteLine(Untrusted.Escape(text.TrimEnd('\r')));
            }
        }
    }
}
