using CimHil.Core.Config;

namespace CimHil.Characterization.Import;

/// <summary>How the files are laid out: delimited text (delimiter, header line, comment prefix) or HDF5.</summary>
public sealed record ImportFormat
{
    public bool Hdf5 { get; init; }

    /// <summary>The delimiter; null splits on runs of whitespace.</summary>
    public char? Delimiter { get; init; } = ',';

    public bool Header { get; init; } = true;

    /// <summary>Lines starting with this (after leading blanks) are comments.</summary>
    public string CommentPrefix { get; init; } = "#";

    internal static ImportFormat Parse(JsonSection s)
    {
        s.AllowOnly("type", "delimiter", "header", "comment");
        var type = s.String("type", "delimited");
        if (type == "hdf5")
        {
            s.AllowOnly("type");
            return new ImportFormat { Hdf5 = true, Delimiter = null, Header = false };
        }

        if (type != "delimited")
        {
            throw s.Error("type", $"'{type}' is not a format; allowed: delimited, hdf5");
        }

        var delimiter = s.String("delimiter", ",");
        char? d = delimiter switch
        {
            "," or "comma" => ',',
            "\t" or "tab" => '\t',
            ";" or "semicolon" => ';',
            "whitespace" => null,
            _ => throw s.Error("delimiter", $"'{delimiter}' is not a delimiter; allowed: comma, tab, semicolon, whitespace"),
        };
        var comment = s.String("comment", "#");
        if (comment.Length == 0)
        {
            throw s.Error("comment", "must not be empty");
        }

        return new ImportFormat { Delimiter = d, Header = s.Bool("header", true), CommentPrefix = comment };
    }
}
