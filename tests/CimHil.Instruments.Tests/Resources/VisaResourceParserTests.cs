using CimHil.Instruments.Resources;

namespace CimHil.Instruments.Tests.Resources;

public sealed class VisaResourceParserTests
{
    [Fact]
    public void Parse_TcpSocket_GivesHostAndPort()
    {
        var r = Assert.IsType<TcpSocketResource>(VisaResource.Parse("TCPIP0::192.0.2.7::5025::SOCKET"));
        Assert.Equal(("192.0.2.7", 5025, 0), (r.Host, r.Port, r.Board));
        Assert.Equal("TCPIP0::192.0.2.7::5025::SOCKET", r.Canonical);
    }

    [Fact]
    public void Parse_TcpSocketWithoutBoardLowerCase_DefaultsToBoardZero()
    {
        var r = Assert.IsType<TcpSocketResource>(VisaResource.Parse("tcpip::localhost::5025::socket"));
        Assert.Equal(("localhost", 5025, 0), (r.Host, r.Port, r.Board));
    }

    [Fact]
    public void Parse_TcpInstrWithoutDevice_DefaultsToInst0()
    {
        var r = Assert.IsType<TcpInstrResource>(VisaResource.Parse("TCPIP::10.0.0.5::INSTR"));
        Assert.Equal(("10.0.0.5", "inst0", false), (r.Host, r.Device, r.IsHiSlip));
        Assert.Equal("TCPIP0::10.0.0.5::inst0::INSTR", r.Canonical);
    }

    [Fact]
    public void Parse_TcpInstrHiSlip_IsHiSlip()
    {
        var r = Assert.IsType<TcpInstrResource>(VisaResource.Parse("TCPIP1::smu.lab::hislip0::INSTR"));
        Assert.Equal((1, "smu.lab", "hislip0", true), (r.Board, r.Host, r.Device, r.IsHiSlip));
    }

    [Fact]
    public void Parse_SerialNumber_MapsToTtySMinusOne()
    {
        var r = Assert.IsType<SerialResource>(VisaResource.Parse("ASRL3::INSTR"));
        Assert.Equal((3, (string?)null, "/dev/ttyS2"), (r.Board, r.DevicePath, r.LinuxDevicePath));
    }

    [Fact]
    public void Parse_SerialDevicePath_KeepsPath()
    {
        var r = Assert.IsType<SerialResource>(VisaResource.Parse("ASRL/dev/ttyUSB0::INSTR"));
        Assert.Equal("/dev/ttyUSB0", r.LinuxDevicePath);
        Assert.Equal("ASRL/dev/ttyUSB0::INSTR", r.Canonical);
    }

    [Fact]
    public void Parse_GpibPrimaryOnly()
    {
        var r = Assert.IsType<GpibResource>(VisaResource.Parse("GPIB0::22::INSTR"));
        Assert.Equal((0, 22, (int?)null), (r.Board, r.PrimaryAddress, r.SecondaryAddress));
    }

    [Theory]
    [InlineData("GPIB1::5::3::INSTR", 3)]
    [InlineData("GPIB1::5::99::INSTR", 3)]
    public void Parse_GpibSecondary_AcceptsBothEncodings(string resource, int secondary)
    {
        var r = Assert.IsType<GpibResource>(VisaResource.Parse(resource));
        Assert.Equal((1, 5, (int?)secondary), (r.Board, r.PrimaryAddress, r.SecondaryAddress));
        Assert.Equal($"GPIB1::5::{secondary}::INSTR", r.Canonical);
    }

    [Fact]
    public void Parse_UsbHexIds()
    {
        var r = Assert.IsType<UsbResource>(VisaResource.Parse("USB0::0x2A8D::0x0101::MY57700123::INSTR"));
        Assert.Equal(((ushort)0x2A8D, (ushort)0x0101, "MY57700123", (int?)null), (r.VendorId, r.ProductId, r.SerialNumber, r.InterfaceNumber));
    }

    [Fact]
    public void Parse_UsbDecimalIdsWithInterface()
    {
        var r = Assert.IsType<UsbResource>(VisaResource.Parse("USB1::2391::1031::SN42::2::INSTR"));
        Assert.Equal((1, (ushort)2391, (ushort)1031, (int?)2), (r.Board, r.VendorId, r.ProductId, r.InterfaceNumber));
        Assert.Equal("USB1::0x0957::0x0407::SN42::2::INSTR", r.Canonical);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("FOO0::1::INSTR", "unknown interface 'FOO0'")]
    [InlineData("TCPIP0::host::5025", "ends in ::SOCKET or ::INSTR")]
    [InlineData("TCPIP0::host::SOCKET", "TCPIP[n]::host::port::SOCKET")]
    [InlineData("TCPIP0::host::http::SOCKET", "TCP port 'http' is not an integer")]
    [InlineData("TCPIP0::host::70000::SOCKET", "TCP port 70000 is outside 1–65535")]
    [InlineData("TCPIP0::::5025::SOCKET", "empty field")]
    [InlineData("TCPIPx::host::5025::SOCKET", "board number 'x'")]
    [InlineData("TCPIP0::a::b::c::INSTR", "TCPIP[n]::host[::device]::INSTR")]
    [InlineData("ASRL::INSTR", "missing after ASRL")]
    [InlineData("ASRLcom1::INSTR", "neither a number nor an absolute device path")]
    [InlineData("ASRL1", "ASRL<n>::INSTR")]
    [InlineData("GPIB0::31::INSTR", "GPIB primary address 31 is outside 0–30")]
    [InlineData("GPIB0::5::50::INSTR", "secondary address 50")]
    [InlineData("GPIB0::INSTR", "GPIB[n]::primary")]
    [InlineData("USB0::0x2A8D::MY1::INSTR", "USB[n]::vid::pid::serial")]
    [InlineData("USB0::0xZZZZ::0x0101::MY1::INSTR", "USB vendor id '0xZZZZ'")]
    [InlineData("USB0::0x12345::0x0101::MY1::INSTR", "USB vendor id 74565 is outside")]
    public void Parse_Malformed_ThrowsNamingTheProblem(string resource, string expected)
    {
        var ex = Assert.Throws<ResourceFormatException>(() => VisaResource.Parse(resource));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal(resource, ex.Resource);
    }

    [Fact]
    public void TryParse_Malformed_ReturnsFalseWithMessage()
    {
        Assert.False(VisaResourceParser.TryParse("GPIB0::99::INSTR", out var parsed, out var error));
        Assert.Null(parsed);
        Assert.Contains("GPIB primary address 99", error, StringComparison.Ordinal);
    }
}
