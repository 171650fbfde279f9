namespace CimHil.Reporting;

/// <summary>A link a report section shows: its text and a target, relative to the report so the folder can move.</summary>
public sealed record ReportLink(string Text, string Href);
