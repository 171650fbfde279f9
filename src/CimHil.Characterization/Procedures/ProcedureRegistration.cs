namespace CimHil.Characterization.Procedures;

/// <summary>A procedure found by <see cref="ProcedureRegistry"/>: its plan section, its order and one instance of it.</summary>
public sealed record ProcedureRegistration(string Section, int Order, ICharacterizationProcedure Procedure);
