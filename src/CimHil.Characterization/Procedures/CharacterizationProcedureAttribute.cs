namespace CimHil.Characterization.Procedures;

/// <summary>
/// Marks a class as a characterisation procedure: <paramref name="section"/> is both its plan section's key and the
/// procedure name stored with its records. <see cref="ProcedureRegistry"/> finds it by this attribute; the class needs
/// a public parameterless constructor and must implement <see cref="ICharacterizationProcedure"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class CharacterizationProcedureAttribute(string section) : Attribute
{
    public string Section { get; } = section;

    /// <summary>
    /// Where it runs among the procedures (ascending) and the ordinal stored with it. The built-ins are 1 (forming) to
    /// 7 (drift); a plug-in that needs formed, mapped cells takes a number above 2, one that reads the final state above 7.
    /// </summary>
    public int Order { get; init; } = 100;
}
