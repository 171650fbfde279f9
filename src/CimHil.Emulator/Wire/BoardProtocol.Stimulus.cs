using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Emulator.Scpi;

namespace CimHil.Emulator.Wire;

/// <summary>
/// The commands that put a voltage on the array. Every parameter is checked against the configured
/// <see cref="SafetyLimits"/> before the chip is touched, so a refused command applies nothing and counts nothing.
/// </summary>
public sealed partial class BoardProtocol
{
    private async Task<ScpiResponse?> ProgramAsync(ScpiRequest request, CancellationToken cancellationToken)
    {
        request.Count(5, 7);
        var cell = Cell(request, 0);
        var polarity = request.Parameters[2].ToUpperInvariant() switch
        {
            "SET" => PulsePolarity.Set,
            "RES" or "RESET" => PulsePolarity.Reset,
            var other => throw new ScpiCommandException(-224, $"Illegal parameter value;polarity '{other}' is not SET or RESet"),
        };

        // DEF compliance becomes the configured maximum, as SafeChip does: a pulse without a compliance is how an
        // RRAM cell is over-formed, so "the chip's default" may not mean "no limit" on a board that promises limits.
        var pulse = WithinLimits(() => _safety.Check(new ProgramPulse
        {
            Polarity = polarity,
            AmplitudeV = Positive(request, 3, "amplitude V"),
            WidthSeconds = Positive(request, 4, "width s"),
            GateVoltageV = OptionalPositive(request, 5, "gate V"),
            ComplianceA = OptionalPositive(request, 6, "compliance A"),
        }));
        await WithChipAsync(
            async ct =>
            {
                await _chip.ApplyPulseAsync(cell, pulse, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _pulses);
            },
            cancellationToken).ConfigureAwait(false);
        return null;
    }

    private async Task<ScpiResponse?> FormAsync(ScpiRequest request, bool reply, CancellationToken cancellationToken)
    {
        request.Count(5, 6);
        var cell = Cell(request, 0);
        var pulse = new FormingPulse
        {
            AmplitudeV = Positive(request, 2, "amplitude V"),
            WidthSeconds = Positive(request, 3, "width s"),
            ComplianceA = Positive(request, 4, "compliance A"),
            GateVoltageV = OptionalPositive(request, 5, "gate V"),
        };
        WithinLimits(() => _safety.Check(pulse));
        FormingResult? result = null;
        await WithChipAsync(
            async ct =>
            {
                result = await _chip.FormAsync(cell, pulse, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _formingPulses);
            },
            cancellationToken).ConfigureAwait(false);
        return reply ? ScpiResponse.Text($"{Number(result!.CurrentA)},{(result.Formed ? 1 : 0)}") : null;
    }

    private async Task<ScpiResponse?> ReadCellAsync(ScpiRequest request, CancellationToken cancellationToken)
    {
        request.Count(3, 3);
        var cell = Cell(request, 0);
        var readV = ReadVoltage(request, 2, "read");
        ReadResult? result = null;
        await WithChipAsync(async ct => result = await _chip.ReadCellAsync(cell, readV, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return ScpiResponse.Text(Number(result!.CurrentA));
    }

    private Task<ScpiResponse?> ReadRowAsync(ScpiRequest request, CancellationToken cancellationToken)
    {
        request.Count(2, 2);
        var row = request.Int(0, "row");
        if (row < 0 || row >= _chip.Geometry.Rows)
        {
            throw new ScpiCommandException(-222, $"Data out of range;row {row} is outside 0..{_chip.Geometry.Rows - 1}");
        }

        return ReadBlockCoreAsync(CellBlock.SingleRow(row, _chip.Geometry.Columns), ReadVoltage(request, 1, "row read"), cancellationToken);
    }

    private Task<ScpiResponse?> ReadBlockAsync(ScpiRequest request, CancellationToken cancellationToken)
    {
        request.Count(5, 5);
        var r = request.Int(0, "row");
        var c = request.Int(1, "column");
        var rows = request.Int(2, "rows");
        var cols = request.Int(3, "columns");
        if (r < 0 || c < 0 || rows < 1 || cols < 1 || r + rows > _chip.Geometry.Rows || c + cols > _chip.Geometry.Columns)
        {
            throw new ScpiCommandException(-222, $"Data out of range;block [{r}+{rows}, {c}+{cols}] is outside the {_chip.Geometry} array");
        }

        return ReadBlockCoreAsync(new CellBlock(r, c, rows, cols), ReadVoltage(request, 4, "block read"), cancellationToken);
    }

    private async Task<ScpiResponse?> ReadBlockCoreAsync(CellBlock block, double readV, CancellationToken cancellationToken)
    {
        BlockReadResult? result = null;
        await WithChipAsync(async ct => result = await _chip.ReadBlockAsync(block, readV, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return Bulk(result!.CurrentsA);
    }

    private async Task<ScpiResponse?> MultiplyAsync(ScpiRequest request, CancellationToken cancellationToken)
    {
        if (request.Parameters.Length == 0)
        {
            throw new ScpiCommandException(-109, "Missing parameter;ARR:VMM? needs one voltage per row");
        }

        if (request.Parameters.Length != _chip.Geometry.Rows)
        {
            throw new ScpiCommandException(-222, $"Data out of range;ARR:VMM? got {request.Parameters.Length} voltages for {_chip.Geometry.Rows} rows");
        }

        // A row may be left at 0 V (not driven) and may be driven negative (signed inputs); only the magnitude is limited.
        var maxV = _safety.MaxReadVoltageV;
        var voltages = new double[request.Parameters.Length];
        for (var i = 0; i < voltages.Length; i++)
        {
            voltages[i] = request.Double(i, $"row {i} voltage V");
            if (Math.Abs(voltages[i]) > maxV)
            {
                throw new ScpiCommandException(-222, $"Data out of range;{new SafetyLimitException("vector-matrix multiply", $"|row {i} voltage|", Math.Abs(voltages[i]), maxV, "V").Message}");
            }
        }

        VmmResult? result = null;
        await WithChipAsync(async ct => result = await _chip.MultiplyAsync(voltages, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return Bulk(result!.ColumnCurrentsA);
    }

    private CellAddress Cell(ScpiRequest request, int index)
    {
        var cell = new CellAddress(request.Int(index, "row"), request.Int(index + 1, "column"));
        if (!_chip.Geometry.Contains(cell))
        {
            throw new ScpiCommandException(-222, $"Data out of range;cell {cell} is outside the {_chip.Geometry} array");
        }

        return cell;
    }

    /// <summary>A read voltage: positive (the protocol reads with the cell's positive terminal high) and within the read limit.</summary>
    private double ReadVoltage(ScpiRequest request, int index, string operation)
    {
        var readV = Positive(request, index, "read voltage V");
        WithinLimits(() => _safety.CheckRead(operation, readV));
        return readV;
    }

    /// <summary>Runs a <see cref="SafetyLimits"/> check; whatever it refuses is data out of range (-222), nothing applied.</summary>
    private static T WithinLimits<T>(Func<T> check)
    {
        try
        {
            return check();
        }
        catch (SafetyLimitException ex)
        {
            throw new ScpiCommandException(-222, $"Data out of range;{ex.Message}");
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new ScpiCommandException(-222, $"Data out of range;{ex.Message}");
        }
    }

    private static void WithinLimits(Action check) => WithinLimits(() =>
    {
        check();
        return 0;
    });

    private static double Positive(ScpiRequest request, int index, string what)
    {
        var value = request.Double(index, what);
        if (!(value > 0))
        {
            throw new ScpiCommandException(-222, $"Data out of range;{what} {value:G6} must be positive");
        }

        return value;
    }

    /// <summary>
    /// An optional gate voltage or compliance: absent or DEF, else positive. A gate at or below 0 V keeps the NMOS access
    /// transistor off and a compliance of 0 A or less admits no current, so either is a mistake, not a request.
    /// </summary>
    private static double? OptionalPositive(ScpiRequest request, int index, string what) =>
        request.OptionalDouble(index, what) is null ? null : Positive(request, index, what);

    private ScpiResponse Bulk(ImmutableArray<double> values)
    {
        switch (Format)
        {
            case BoardDataFormat.Real64:
                {
                    var payload = new byte[values.Length * 8];
                    for (var i = 0; i < values.Length; i++)
                    {
                        if (BigEndian)
                        {
                            BinaryPrimitives.WriteDoubleBigEndian(payload.AsSpan(i * 8), values[i]);
                        }
                        else
                        {
                            BinaryPrimitives.WriteDoubleLittleEndian(payload.AsSpan(i * 8), values[i]);
                        }
                    }

                    return ScpiResponse.Bytes(Block(payload));
                }

            case BoardDataFormat.Real32:
                {
                    var payload = new byte[values.Length * 4];
                    for (var i = 0; i < values.Length; i++)
                    {
                        if (BigEndian)
                        {
                            BinaryPrimitives.WriteSingleBigEndian(payload.AsSpan(i * 4), (float)values[i]);
                        }
                        else
                        {
                            BinaryPrimitives.WriteSingleLittleEndian(payload.AsSpan(i * 4), (float)values[i]);
                        }
                    }

                    return ScpiResponse.Bytes(Block(payload));
                }

            default:
                return ScpiResponse.Text(string.Join(',', values.Select(Number)));
        }
    }

    /// <summary>IEEE 488.2 section 8.7.9 definite-length arbitrary block: #, digit count, length, bytes.</summary>
    private static byte[] Block(byte[] payload)
    {
        var length = payload.Length.ToString(CultureInfo.InvariantCulture);
        var header = Encoding.ASCII.GetBytes($"#{length.Length}{length}");
        var result = new byte[header.Length + payload.Length];
        header.CopyTo(result, 0);
        payload.CopyTo(result, header.Length);
        return result;
    }
}
