namespace CimHil.Instruments.Wgfmu;

/// <summary>
/// A Keysight B1530A WGFMU's two channels (slot·100 + 1 and + 2) over its instrument library, in instrument terms: waveforms
/// in volts and seconds, current samples in amperes. The library's calls block, so each method runs them on the thread pool.
/// Channel 1 plays the waveform, channel 2 holds 0 V and samples the current (Fast IV mode on both).
/// </summary>
public sealed class B1530A(IWgfmu library, string resource, int slot)
{
    /// <summary>Channel 2's pattern: 0 V for as long as channel 1's waveform.</summary>
    public const string HoldPattern = "hold";

    /// <summary>The measure event on <see cref="HoldPattern"/>.</summary>
    public const string MeasureEvent = "current";

    public IWgfmu Library { get; } = library ?? throw new ArgumentNullException(nameof(library));

    /// <summary>The address the library session is for (errors name it).</summary>
    public string Resource { get; } = resource;

    /// <summary>Plays the waveform.</summary>
    public int Channel1 { get; } = (slot * 100) + 1;

    /// <summary>Holds 0 V and samples the current.</summary>
    public int Channel2 { get; } = (slot * 100) + 2;

    /// <summary>Opens the library session at <paramref name="address"/> and returns the channels it reports installed.</summary>
    public Task<IReadOnlyList<int>> OpenSessionAsync(string address, CancellationToken cancellationToken) =>
        Task.Run(
            () =>
            {
                Library.OpenSession(address);
                return Library.GetChannelIds();
            },
            cancellationToken);

    /// <summary>Sets the library timeout, initialises every channel (0 V), both channels to Fast IV, channel 2 to measure current.</summary>
    public Task ConfigureFastIvAsync(double timeoutSeconds, CancellationToken cancellationToken) =>
        Task.Run(
            () =>
            {
                Library.SetTimeout(timeoutSeconds);
                Library.Initialize();
                Library.SetOperationMode(Channel1, WgfmuOperationMode.FastIv);
                Library.SetOperationMode(Channel2, WgfmuOperationMode.FastIv);
                Library.SetMeasureMode(Channel2, WgfmuMeasureMode.Current);
            },
            cancellationToken);

    /// <summary>Replaces the library's patterns and sequences with <paramref name="waveform"/> (played once per <see cref="PlayAsync"/>).</summary>
    public Task LoadAsync(WgfmuWaveform waveform, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(waveform);
        return Task.Run(
            () =>
            {
                Library.Clear();
                Library.SetForceVoltageRange(Channel1, waveform.ForceRange);
                Library.SetForceVoltageRange(Channel2, WgfmuForceVoltageRange.Range3V);
                Library.SetMeasureCurrentRange(Channel2, waveform.CurrentRange);
                Library.CreatePattern(waveform.Pattern, 0);
                Library.AddVector(waveform.Pattern, waveform.RampSeconds, waveform.LevelV);
                Library.AddVector(waveform.Pattern, waveform.FlatSeconds, waveform.LevelV);
                Library.AddVector(waveform.Pattern, waveform.RampSeconds, 0);
                Library.CreatePattern(HoldPattern, 0);
                Library.AddVector(HoldPattern, (2 * waveform.RampSeconds) + waveform.FlatSeconds, 0);
                if (waveform.SampleAtSeconds is { } at)
                {
                    Library.SetMeasureEvent(HoldPattern, MeasureEvent, at, 1, waveform.AverageSeconds, waveform.AverageSeconds, WgfmuMeasureEventMode.Averaged);
                }

                Library.AddSequence(Channel1, waveform.Pattern, 1);
                Library.AddSequence(Channel2, HoldPattern, 1);
            },
            cancellationToken);
    }

    /// <summary>
    /// Connects both channels, plays the loaded sequence, and disconnects them; with <paramref name="sample"/> returns channel 2's
    /// last sample in A as the WGFMU reports it (current out of its terminal positive), else 0. A library communication error
    /// while the sequence runs leaves it unknown whether the waveform played: <see cref="UncertainOutcomeException"/>.
    /// </summary>
    public Task<double> PlayAsync(bool sample, CancellationToken cancellationToken) =>
        Task.Run(
            () =>
            {
                Library.Connect(Channel1);
                Library.Connect(Channel2);
                try
                {
                    Library.Execute();
                    Library.WaitUntilCompleted();
                }
                catch (WgfmuException ex) when (ex.Status == WgfmuInterop.CommunicationError)
                {
                    throw new UncertainOutcomeException(Resource, ex.Function, ex);
                }

                var value = 0.0;
                if (sample)
                {
                    var (measured, _) = Library.GetMeasureValueSize(Channel2);
                    if (measured < 1)
                    {
                        throw new InstrumentProtocolException(Resource, $"WGFMU channel {Channel2} returned no sample after the sequence completed");
                    }

                    value = Library.GetMeasureValues(Channel2, measured - 1, 1)[0].Value;
                }

                Library.Disconnect(Channel1);
                Library.Disconnect(Channel2);
                return value;
            },
            cancellationToken);

    /// <summary>Every channel initialised (0 V) and both relays open.</summary>
    public Task ResetAsync(CancellationToken cancellationToken) =>
        Task.Run(
            () =>
            {
                Library.Initialize();
                Library.Disconnect(Channel1);
                Library.Disconnect(Channel2);
            },
            cancellationToken);
}
