using System.Text;

namespace DnsBridge.FunctionalTests.Report;

/// <summary>
/// A strict RFC 4180 reader written from the RFC, not from the code under test: quoted fields may hold commas,
/// CR LF and doubled quotes; records end in CR LF; a quote inside an unquoted field is an error.
/// </summary>
internal static class CsvParser
{
    public static List<string[]> Parse(string text)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new FormatException("unterminated quoted field");
                    }

                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(text[i++]);
                }
            }
            else
            {
                while (i < text.Length && text[i] is not (',' or '\r'))
                {
                    if (text[i] is '"' or '\n')
                    {
                        throw new FormatException($"bare {(text[i] == '"' ? "quote" : "LF")} at {i}");
                    }

                    field.Append(text[i++]);
                }
            }

            fields.Add(field.ToString());
            field.Clear();
            if (i < text.Length && text[i] == ',')
            {
                i++;
                continue;
            }

            if (i + 1 >= text.Length || text[i] != '\r' || text[i + 1] != '\n')
            {
                throw new FormatException($"record not ended by CR LF at {i}");
            }

            i += 2;
            records.Add([.. fields]);
            fields.Clear();
        }

        return records;
    }
}
