using System.Runtime.Versioning;
using CimHil.Emulator.Wire;
using CimHil.Instruments.Resources;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;
using CimHil.Instruments.Transports;
using CimHil.Instruments.Transports.Usbtmc;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>The usbtmc transport against a fake sysfs tree, with the board's pseudo-terminal standing in for /dev/usbtmcN.</summary>
[SupportedOSPlatform("linux")]
public sealed class UsbtmcTransportTests
{
    [Fact]
    public void List_ReadsIdentityFromTheUsbDeviceAboveTheInterface()
    {
        using var sysfs = new FakeSysfs();
        sysfs.Add(0, "0957", "1796", "MY57251234", manufacturer: "Keysight Technologies", product: "DSO-X 3024T");
        sysfs.Add(1, "05e6", "2450", "04123456", interfaceNumber: 2);

        var devices = UsbtmcDirectory.List(sysfs.Paths);

        Assert.Equal(2, devices.Count);
        Assert.Equal(Path.Combine(sysfs.Paths.DevRoot, "usbtmc0"), devices[0].DeviceNode);
        Assert.Equal((ushort)0x0957, devices[0].VendorId);
        Assert.Equal((ushort)0x1796, devices[0].ProductId);
        Assert.Equal("Keysight Technologies", devices[0].Manufacturer);
        Assert.Equal("USB0::0x0957::0x1796::MY57251234::INSTR", devices[0].Resource);
        Assert.Equal("USB0::0x05E6::0x2450::04123456::2::INSTR", devices[1].Resource);
        Assert.Null(devices[1].Product);
    }

    [Fact]
    public void List_NoUsbmiscClass_IsEmpty()
    {
        Assert.Empty(UsbtmcDirectory.List(new UsbtmcPaths("/nonexistent-sysfs", "/dev")));
    }

    [Fact]
    public void Find_MatchesVendorProductSerialAndInterface()
    {
        using var sysfs = new FakeSysfs();
        sysfs.Add(0, "05e6", "2450", "AAA");
        sysfs.Add(1, "05e6", "2450", "BBB");
        sysfs.Add(2, "05e6", "2450", "BBB", interfaceNumber: 1);
        sysfs.Add(3, "1ab1", "04ce", serial: null);

        Assert.EndsWith("usbtmc1", UsbtmcDirectory.Find(Usb("USB::0x05E6::0x2450::BBB::INSTR"), sysfs.Paths).DeviceNode, StringComparison.Ordinal);
        Assert.EndsWith("usbtmc2", UsbtmcDirectory.Find(Usb("USB::1510::9296::BBB::1::INSTR"), sysfs.Paths).DeviceNode, StringComparison.Ordinal);
        var unnamed = UsbtmcDirectory.Find(Usb("USB0::0x1AB1::0x04CE::NONE::INSTR"), sysfs.Paths); // no iSerialNumber
        Assert.EndsWith("usbtmc3", unnamed.DeviceNode, StringComparison.Ordinal);
        Assert.Equal("USB0::0x1AB1::0x04CE::NONE::INSTR", unnamed.Resource);
    }

    [Fact]
    public void Find_NoMatch_ListsWhatIsAttached()
    {
        using var sysfs = new FakeSysfs();
        sysfs.Add(0, "05e6", "2450", "AAA");
        var ex = Assert.Throws<InstrumentIOException>(() => UsbtmcDirectory.Find(Usb("USB::0x05E6::0x2450::ZZZ::INSTR"), sysfs.Paths));
        Assert.Equal(
            $"USB0::0x05E6::0x2450::ZZZ::INSTR: no usbtmc device has vendor 0x05E6, product 0x2450, serial 'ZZZ'; attached: USB0::0x05E6::0x2450::AAA::INSTR at {sysfs.Paths.DevRoot}/usbtmc0",
            ex.Message);
    }

    [Fact]
    public void Find_NoDriver_SaysToLoadTheModule()
    {
        var ex = Assert.Throws<InstrumentIOException>(() => UsbtmcDirectory.Find(Usb("USB::1::2::S::INSTR"), new UsbtmcPaths("/nonexistent-sysfs", "/dev")));
        Assert.Contains("modprobe usbtmc", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IoctlNumbers_AreThoseOfLinuxTmcH()
    {
        // include/uapi/linux/usb/tmc.h: USBTMC_IOCTL_CLEAR _IO(91, 2); USBTMC_IOCTL_SET_TIMEOUT _IOW(91, 10, __u32).
        Assert.Equal(0x5B02u, UsbtmcInterop.IoctlClear);
        Assert.Equal(0x40045B0Au, UsbtmcInterop.IoctlSetTimeout);
    }

    [Fact]
    public async Task Session_OverTheStandInNode_IdentifiesReadsAndClears()
    {
        using var sysfs = new FakeSysfs();
        using var board = new BoardServer(new TestChip(4, 4), BoardFixture.Logger);
        await using var pty = new BoardPtyServer(board, BoardFixture.Logger);
        pty.Start();
        sysfs.Add(0, "05e6", "2450", "04123456", nodeTarget: pty.DevicePath);
        var options = new TransportOptions { Config = BoardFixture.FastConfig, Visa = VisaPreference.Never, Usbtmc = sysfs.Paths };

        await using var session = await ScpiSession.OpenAsync("USB0::0x05E6::0x2450::04123456::INSTR", options, BoardFixture.Logger, CancellationToken.None);

        var transport = Assert.IsType<UsbtmcTransport>(session.Transport);
        Assert.Equal(Path.Combine(sysfs.Paths.DevRoot, "usbtmc0"), transport.DeviceNode);
        Assert.False(transport.DriverTimeout); // a pty refuses USBTMC_IOCTL_SET_TIMEOUT (ENOTTY): poll(2) bounds reads instead
        Assert.Equal("Test chip", (await session.IdentifyAsync(CancellationToken.None)).Model);
        await session.ExecuteAsync("FORM REAL,64", CancellationToken.None);
        var values = BinaryBlock.DecodeDoubles(await session.QueryBlockAsync("BLK:READ? 0,0,4,4,0.25", CancellationToken.None));
        Assert.Equal(Enumerable.Range(0, 16).Select(i => TestChip.CurrentA(i / 4, i % 4, 0.25)), values);

        await transport.WriteAsync("*IDN?\n"u8.ToArray(), CancellationToken.None);
        await Task.Delay(200);
        await transport.ClearAsync(CancellationToken.None);
        Assert.Equal("1", await session.QueryAsync("*OPC?", CancellationToken.None)); // the stale *IDN? reply was dropped
    }

    [Fact]
    public async Task Read_NothingToRead_TimesOutNamingTheResource()
    {
        using var sysfs = new FakeSysfs();
        using var board = new BoardServer(new TestChip(), BoardFixture.Logger);
        await using var pty = new BoardPtyServer(board, BoardFixture.Logger);
        pty.Start();
        sysfs.Add(0, "05e6", "2450", "S1", nodeTarget: pty.DevicePath);
        await using var transport = new UsbtmcTransport(Usb("USB::0x05E6::0x2450::S1::INSTR"), sysfs.Paths, TimeSpan.FromMilliseconds(150));
        await transport.OpenAsync(CancellationToken.None);
        var ex = await Assert.ThrowsAsync<InstrumentTimeoutException>(async () => await transport.ReadUntilAsync((byte)'\n', 64, CancellationToken.None));
        Assert.Contains("USB0::0x05E6::0x2450::S1::INSTR", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Factory_UsbWithoutVendorVisa_IsTheUsbtmcTransport()
    {
        var transport = TransportFactory.Create(VisaResource.Parse("USB::0x05E6::0x2450::S1::INSTR"), new TransportOptions { Visa = VisaPreference.Never });
        Assert.IsType<UsbtmcTransport>(transport);
    }

    private static UsbResource Usb(string text) => (UsbResource)VisaResource.Parse(text);
}
