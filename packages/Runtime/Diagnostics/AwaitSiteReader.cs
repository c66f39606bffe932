using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Runtime.CompilerServices;

namespace Spindle.Diagnostics;

/// <summary>
/// Maps each <c>await</c> of a compiled async method (its <c>MoveNext</c>) to its state number,
/// awaiter field and source line, from the module's IL and portable PDB.
/// </summary>
/// <remarks>
/// <para>
/// The PDB's async stepping information (custom debug information
/// <c>54FD2AC5-E925-401A-9C2A-F94F171072F8</c>) lists each await's yield offset in <c>MoveNext</c>.
/// The IL before a yield offset stores the await's state into <c>&lt;&gt;1__state</c> (<c>ldc.i4 N;
/// dup; stloc; stfld</c>) and its awaiter into a <c>&lt;&gt;u__K</c> field, so one linear scan gives
/// state → (awaiter field, yield offset); the last visible sequence point at or before the yield
/// offset gives the line. This is what Roslyn emits for C# and VB in Debug and Release; anything
/// else (no PDB, another compiler, runtime-async methods) yields no sites and the walker falls back
/// to names without lines.
/// </para>
/// <para>
/// Modules are read once (the PE image and PDB into memory, no file handle kept) and cached for the
/// life of the module; a failure is cached as "no debug data".
/// </para>
/// </remarks>
internal static class AwaitSiteReader
{
    private static readonly Guid s_asyncSteppingInfo = new("54FD2AC5-E925-401A-9C2A-F94F171072F8");
    private static readonly ConditionalWeakTable<Module, ModuleDebugData> s_modules = new();

    /// <summary>Reads the await sites of <paramref name="moveNext"/>, keyed by state; null when the debug data is missing.</summary>
    public static Dictionary<int, AwaitSite>? TryRead(MethodInfo moveNext)
    {
        try
        {
            ModuleDebugData data = s_modules.GetValue(moveNext.Module, static m => ModuleDebugData.Load(m));
            return data.Pdb is null ? null : Read(data, MetadataTokens.MethodDefinitionHandle(moveNext.MetadataToken));
        }
#pragma warning disable CA1031 // Debug data is optional: a malformed or unreadable PDB means "no lines", never a failed dump.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    private static Dictionary<int, AwaitSite>? Read(ModuleDebugData data, MethodDefinitionHandle moveNext)
    {
        MetadataReader pdb = data.Pdb!;
        MetadataReader metadata = data.Metadata!;
        List<int>? yields = ReadYieldOffsets(pdb, moveNext);
        if (yields is null)
        {
            // Older compilers attached the stepping information to the kickoff method.
            MethodDefinitionHandle kickoff = pdb.GetMethodDebugInformation(moveNext).GetStateMachineKickoffMethod();
            if (!kickoff.IsNil)
            {
                yields = ReadYieldOffsets(pdb, kickoff);
            }
        }

        if (yields is null || yields.Count == 0)
        {
            return null;
        }

        yields.Sort();
        MethodDefinition method = metadata.GetMethodDefinition(moveNext);
        ImmutableArray<byte> il = data.Pe!.GetMethodBody(method.RelativeVirtualAddress).GetILContent();
        List<SequencePoint> points = [];
        foreach (SequencePoint point in pdb.GetMethodDebugInformation(moveNext).GetSequencePoints())
        {
            if (!point.IsHidden)
            {
                points.Add(point);
            }
        }

        // The awaiter store follows the state store of the same await (it may lie past the yield
        // offset), so awaiters are keyed by state; states are matched to yields by position.
        var awaiters = new Dictionary<int, string>();
        var stateStores = new List<(int Offset, int State)>();
        int lastConstant = int.MinValue;
        int openState = int.MinValue;
        int offset = 0;
        while (offset < il.Length)
        {
            int start = offset;
            int code = il[offset++];
            if (code == 0xFE)
            {
                code = 0xFE00 | il[offset++];
            }

            switch (code)
            {
                case >= 0x15 and <= 0x1E: // ldc.i4.m1 .. ldc.i4.8
                    lastConstant = code - 0x16;
                    break;
                case 0x1F: // ldc.i4.s
                    lastConstant = (sbyte)il[offset];
                    break;
                case 0x20: // ldc.i4
                    lastConstant = BitConverter.ToInt32(il.AsSpan(offset, 4));
                    break;
                case 0x7D: // stfld
                    string? field = FieldName(metadata, BitConverter.ToInt32(il.AsSpan(offset, 4)));
                    if (field == "<>1__state")
                    {
                        openState = lastConstant;
                        if (lastConstant >= 0)
                        {
                            stateStores.Add((start, lastConstant));
                        }
                    }
                    else if (openState >= 0 && field is not null && field.StartsWith("<>u__", StringComparison.Ordinal))
                    {
                        awaiters.TryAdd(openState, field);
                        openState = int.MinValue;
                    }

                    break;
            }

            offset += OperandSize(code, il, offset);
            if (offset <= start)
            {
                return null;
            }
        }

        var sites = new Dictionary<int, AwaitSite>();
        foreach (int yield in yields)
        {
            int state = int.MinValue;
            foreach ((int storeOffset, int storeState) in stateStores)
            {
                if (storeOffset < yield)
                {
                    state = storeState;
                }
            }

            AddSite(sites, pdb, points, yield, state, state >= 0 ? awaiters.GetValueOrDefault(state) : null);
        }

        return sites;
    }

    private static void AddSite(Dictionary<int, AwaitSite> sites, MetadataReader pdb, List<SequencePoint> points, int yieldOffset, int state, string? awaiter)
    {
        if (state < 0)
        {
            return;
        }

        string? file = null;
        int line = 0;
        for (int i = points.Count - 1; i >= 0; i--)
        {
            if (points[i].Offset <= yieldOffset)
            {
                file = pdb.GetString(pdb.GetDocument(points[i].Document).Name);
                line = points[i].StartLine;
                break;
            }
        }

        sites[state] = new AwaitSite(state, awaiter, file, line);
    }

    private static List<int>? ReadYieldOffsets(MetadataReader pdb, MethodDefinitionHandle method)
    {
        foreach (CustomDebugInformationHandle handle in pdb.GetCustomDebugInformation(method))
        {
            CustomDebugInformation info = pdb.GetCustomDebugInformation(handle);
            if (pdb.GetGuid(info.Kind) != s_asyncSteppingInfo)
            {
                continue;
            }

            BlobReader reader = pdb.GetBlobReader(info.Value);
            reader.ReadUInt32(); // catch handler offset
            var yields = new List<int>();
            while (reader.RemainingBytes > 0)
            {
                yields.Add((int)reader.ReadUInt32());
                reader.ReadUInt32(); // resume offset
                reader.ReadCompressedInteger(); // resume method
            }

            return yields;
        }

        return null;
    }

    private static string? FieldName(MetadataReader metadata, int token)
    {
        EntityHandle handle = MetadataTokens.EntityHandle(token);
        return handle.Kind switch
        {
            HandleKind.FieldDefinition => metadata.GetString(metadata.GetFieldDefinition((FieldDefinitionHandle)handle).Name),
            HandleKind.MemberReference => metadata.GetString(metadata.GetMemberReference((MemberReferenceHandle)handle).Name),
            _ => null,
        };
    }

    /// <summary>Operand size of an IL instruction (ECMA-335 §III), <paramref name="code"/> with 0xFE00 for two-byte opcodes.</summary>
    private static int OperandSize(int code, ImmutableArray<byte> il, int operand) => code switch
    {
        0x0E or 0x0F or 0x10 or 0x11 or 0x12 or 0x13 or 0x1F or (>= 0x2B and <= 0x37) or 0xDE or 0xFE12 or 0xFE19 => 1,
        0x21 or 0x23 => 8,
        0x45 => 4 + (4 * BitConverter.ToInt32(il.AsSpan(operand, 4))),
        0x20 or 0x22 or 0x27 or 0x28 or 0x29 or (>= 0x38 and <= 0x44) or 0x6F or 0x70 or 0x71 or 0x72 or 0x73 or 0x74 or 0x75
            or 0x79 or 0x7B or 0x7C or 0x7D or 0x7E or 0x7F or 0x80 or 0x81 or 0x8C or 0x8D or 0x8F or 0xA3 or 0xA4 or 0xA5
            or 0xC2 or 0xC6 or 0xD0 or 0xDD or 0xFE06 or 0xFE07 or 0xFE15 or 0xFE16 or 0xFE1C => 4,
        >= 0xFE09 and <= 0xFE0E => 2,
        _ => 0,
    };

    private sealed class ModuleDebugData
    {
        private ModuleDebugData(PEReader? pe, MetadataReader? metadata, MetadataReader? pdb)
        {
            Pe = pe;
            Metadata = metadata;
            Pdb = pdb;
        }

        /// <summary>The module's image; null when there is no PDB (then it is never needed).</summary>
        public PEReader? Pe { get; }

        public MetadataReader? Metadata { get; }

        public MetadataReader? Pdb { get; }

        [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty Location (single-file, in-memory or AOT) means no PDB: frames keep their names without lines.")]
        public static ModuleDebugData Load(Module module)
        {
            string path = module.Assembly.Location;
            if (string.IsNullOrEmpty(path) || !File.Exists(path))
            {
                return Empty();
            }

            // Probe for a PDB over the file first: most modules in a chain without one (the BCL)
            // are then never read into memory.
            MetadataReaderProvider? provider;
            using (FileStream file = File.OpenRead(path))
            using (var probe = new PEReader(file))
            {
                if (!probe.TryOpenAssociatedPortablePdb(path, static p => File.Exists(p) ? new MemoryStream(File.ReadAllBytes(p), writable: false) : null,
                    out provider, out _) || provider is null)
                {
                    return Empty();
                }
            }

#pragma warning disable CA2000 // Cached for the module's lifetime; both readers are over in-memory images.
            var pe = new PEReader(System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(File.ReadAllBytes(path)));
#pragma warning restore CA2000
            return new ModuleDebugData(pe, pe.GetMetadataReader(), provider.GetMetadataReader());
        }

        private static ModuleDebugData Empty() => new(null, null, null);
    }
}
