using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>One evaluated node of an <see cref="OnnxGraph"/>: its module, runtime input value names and output value name.</summary>
/// <param name="Name">Module name (the weight's state_dict prefix for weighted layers, else the node's name).</param>
/// <param name="Module">The engine module.</param>
/// <param name="Inputs">Runtime input values.</param>
/// <param name="Output">Output value.</param>
/// <param name="Where">"node 'name' (Op)" of the ONNX node, for errors.</param>
public sealed record OnnxStep(string Name, Module Module, IReadOnlyList<string> Inputs, string Output, string Where);
