using System.Text;

namespace RelationsLedger.Tests.Support;

/// <summary>A reader of the CSV downloads as a spreadsheet reads them (RFC 4180: quoted cells, doubled quotes, CRLF
/// between records, line breaks inside quotes).</summary>
public static class CsvText
{
    public static List<string[]> Records(string text)
    {
        var records = new List<string[]>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c != '"') cell.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') cell.Append(text[++i]);
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                i++;
                cells.Add(cell.ToString());
                cell.Clear();
                records.Add([.. cells]);
                cells.Clear();
            }
            else cell.Append(c);
        }
        if (cell.Length > 0 || cells.Count > 0) records.Add([.. cells, cell.ToString()]);
        return records;
    }
}
