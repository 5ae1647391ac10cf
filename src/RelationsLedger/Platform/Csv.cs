namespace RelationsLedger.Platform;

/// <summary>What a read that offers a download answers in (<c>format</c>).</summary>
public enum AnswerFormat { Json, Csv }

/// <summary>CSV as the downloads write it (RFC 4180: every cell quoted, CRLF line ends), safe to open in a spreadsheet.</summary>
public static class Csv
{
    public const string ContentType = "text/csv; charset=utf-8";

    /// <summary>The header: plain names, as a spreadsheet shows them.</summary>
    public static string Header(IEnumerable<string> columns) => string.Join(',', columns) + "\r\n";

    public static string Line(IEnumerable<string?> cells) => string.Join(',', cells.Select(Cell)) + "\r\n";

    /// <summary>Quoted, and never read as a formula by a spreadsheet.</summary>
    private static string Cell(string? value)
    {
        value ??= "";
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return $"\"{value.Replace("\"", "\"\"")}\"";
    }

    /// <summary>Sets the answer's type and the name a browser saves it under.</summary>
    public static void Download(HttpResponse response, string fileName)
    {
        response.ContentType = ContentType;
        response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
    }
}
