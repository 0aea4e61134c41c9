//! Which functions of a module are intrinsics.
//!
//! The plugin sees one call at a time and must answer quickly whether the
//! callee is an intrinsic, so the answer is computed once per module, from
//! the import section, into a dense table indexed by function index (imports
//! come first in the function index space, so the table is as long as the
//! number of imported functions and a lookup is one bounds check).
//!
//! Building the table is also where a malformed builtin is caught: every
//! import in the configured namespace must be a function whose name is in the
//! intrinsics table and whose type is exactly the intrinsic's. All offending
//! imports are collected and reported together.
//!
//! Finally the module is searched for uses of an intrinsic other than a
//! direct call: `ref.func`, element segments, global initializers, exports.
//! Those cannot be lowered (a function reference must point at real code) and
//! are served by the host implementations instead, so they are reported. The
//! search is cheap: Wasm validation requires every function named by
//! `ref.func` to also appear in an element segment, export or global
//! initializer, so function bodies are only scanned when an intrinsic appears
//! there — which for ordinary builtins is never.

use cranelift_wasm::wasmparser::{
    CompositeInnerType, ConstExpr, ElementItems, ElementKind, ExternalKind, FunctionBody, Operator,
    Parser, Payload, TypeRef, ValType as WasmValType,
};
use cranelift_wasm::FuncIndex;

use crate::error::{Error, ImportError, IndirectUse, UseSite};
use crate::intrinsics::{Intrinsic, SignatureText, ValType};

/// The intrinsics namespace used when none is configured.
pub const DEFAULT_NAMESPACE: &str = "unsafe-intrinsics";

/// The intrinsic imports of one module: which function index is which
/// intrinsic, plus any uses that are not direct calls.
#[derive(Clone, Debug, Default)]
pub struct Intrinsics {
    namespace: String,
    /// Indexed by function index; only imported functions can be intrinsics,
    /// so indices past the end are ordinary functions.
    by_function: Vec<Option<Intrinsic>>,
    indirect_uses: Vec<IndirectUse>,
}

/// A module's function types by type index (`None` for struct and array
/// types), as far as signature checking needs them.
type FuncTypes = Vec<Option<(Vec<WasmValType>, Vec<WasmValType>)>>;

impl Intrinsics {
    /// Reads `wasm`'s imports and maps every function imported from
    /// `namespace` to its intrinsic.
    ///
    /// Fails if the module cannot be parsed, or if any import in `namespace`
    /// has an unknown name, a wrong signature, or is not a function. Uses
    /// other than direct calls are not an error; see
    /// [`Intrinsics::indirect_uses`].
    pub fn from_module(wasm: &[u8], namespace: &str) -> Result<Intrinsics, Error> {
        let mut intrinsics = Intrinsics {
            namespace: namespace.to_owned(),
            ..Intrinsics::default()
        };
        let mut types: FuncTypes = Vec::new();
        let mut errors = Vec::new();
        let mut bodies = Vec::new();
        let mut global_count = 0u32;
        // Set when an intrinsic appears where `ref.func` may name it.
        let mut declared = false;

        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::TypeSection(reader) => {
                    for group in reader {
                        for sub_type in group?.into_types() {
                            types.push(match sub_type.composite_type.inner {
                                CompositeInnerType::Func(func) => {
                                    Some((func.params().to_vec(), func.results().to_vec()))
                                }
                                _ => None,
                            });
                        }
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_iter_with_offsets() {
                        let (offset, import) = import?;
                        let is_intrinsic = import.module == namespace;
                        match import.ty {
                            TypeRef::Func(type_index) => {
                                let entry = if is_intrinsic {
                                    match check_import(&types, import.name, type_index) {
                                        Ok(intrinsic) => Some(intrinsic),
                                        Err(mismatch) => {
                                            errors.push(mismatch.at(
                                                namespace,
                                                import.name,
                                                offset,
                                            ));
                                            None
                                        }
                                    }
                                } else {
                                    None
                                };
                                intrinsics.by_function.push(entry);
                            }
                            TypeRef::Global(_) => global_count += 1,
                            _ => {}
                        }
                        if is_intrinsic && !matches!(import.ty, TypeRef::Func(_)) {
                            errors.push(ImportError::NotAFunction {
                                module: namespace.to_owned(),
                                name: import.name.to_owned(),
                                kind: kind_name(import.ty),
                                offset,
                            });
                        }
                    }
                    if !errors.is_empty() {
                        return Err(Error::Imports(errors));
                    }
                    if intrinsics.is_empty() {
                        // Nothing to lower: skip the rest of the module.
                        return Ok(intrinsics);
                    }
                }
                Payload::GlobalSection(reader) => {
                    for global in reader {
                        let init = global?.init_expr;
                        for function in ref_funcs(&init)? {
                            declared |= intrinsics.note_use(
                                function,
                                UseSite::Global {
                                    global: global_count,
                                },
                                None,
                            );
                        }
                        global_count += 1;
                    }
                }
                Payload::ExportSection(reader) => {
                    for (export_index, export) in (0u32..).zip(reader) {
                        let export = export?;
                        if export.kind == ExternalKind::Func {
                            declared |= intrinsics.note_use(
                                export.index,
                                UseSite::Export {
                                    export: export_index,
                                },
                                Some(export.name),
                            );
                        }
                    }
                }
                Payload::ElementSection(reader) => {
                    for (segment, element) in (0u32..).zip(reader) {
                        let element = element?;
                        // A declarative segment only permits `ref.func`; the
                        // `ref.func` itself is the use, found below.
                        let site = match element.kind {
                            ElementKind::Declared => None,
                            _ => Some(UseSite::Element { segment }),
                        };
                        for function in element_functions(element.items)? {
                            declared |= intrinsics.intrinsic_at(function).is_some();
                            if let Some(site) = site {
                                intrinsics.note_use(function, site, None);
                            }
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => bodies.push(body),
                _ => {}
            }
        }

        if declared {
            let imported = intrinsics.by_function.len();
            for (ordinal, body) in bodies.into_iter().enumerate() {
                let function = u32::try_from(imported + ordinal)
                    .ok()
                    .filter(|&index| index < u32::MAX)
                    .ok_or_else(|| Error::Parse {
                        message: "too many functions".to_owned(),
                        offset: body.range().start,
                    })?;
                intrinsics.scan_body(FuncIndex::from_u32(function), body)?;
            }
        }
        Ok(intrinsics)
    }

    /// The namespace the intrinsics were imported from.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The intrinsic that function `function` is, if it is one.
    #[inline]
    pub fn get(&self, function: FuncIndex) -> Option<Intrinsic> {
        self.intrinsic_at(function.as_u32())
    }

    /// [`Intrinsics::get`] for a raw index read from the module, which may
    /// be any `u32` (a `FuncIndex` cannot hold `u32::MAX`).
    fn intrinsic_at(&self, function: u32) -> Option<Intrinsic> {
        self.by_function.get(function as usize).copied().flatten()
    }

    /// Every intrinsic import, as (function index, intrinsic), in index order.
    pub fn iter(&self) -> impl Iterator<Item = (FuncIndex, Intrinsic)> + '_ {
        (0u32..)
            .zip(&self.by_function)
            .filter_map(|(index, entry)| {
                entry.map(|intrinsic| (FuncIndex::from_u32(index), intrinsic))
            })
    }

    /// Whether the module imports no intrinsic at all.
    pub fn is_empty(&self) -> bool {
        self.by_function.iter().all(Option::is_none)
    }

    /// Uses of intrinsic imports other than direct calls, in module order.
    /// Each keeps its import, which the runtime must then implement on the
    /// host (see [`crate::host`]).
    pub fn indirect_uses(&self) -> &[IndirectUse] {
        &self.indirect_uses
    }

    /// Fails, naming every use, if any intrinsic is used other than by a
    /// direct call: for a runtime that does not register the host
    /// implementations, or that enforces the trust boundary (a builtin must
    /// only reach intrinsics through its own exported functions).
    pub fn deny_indirect_uses(&self) -> Result<(), Error> {
        if self.indirect_uses.is_empty() {
            Ok(())
        } else {
            Err(Error::IndirectUses(self.indirect_uses.clone()))
        }
    }

    /// Records a use of `function` if it is an intrinsic; returns whether it
    /// was one.
    fn note_use(&mut self, function: u32, site: UseSite, export_name: Option<&str>) -> bool {
        let Some(intrinsic) = self.intrinsic_at(function) else {
            return false;
        };
        self.indirect_uses.push(IndirectUse {
            module: self.namespace.clone(),
            intrinsic,
            // An intrinsic's index is below the import count, so it fits.
            function: FuncIndex::from_u32(function),
            site,
            export_name: export_name.map(str::to_owned),
        });
        true
    }

    /// Records every `ref.func` of an intrinsic in one function body.
    fn scan_body(&mut self, function: FuncIndex, body: FunctionBody<'_>) -> Result<(), Error> {
        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            if let Operator::RefFunc { function_index } = reader.read()? {
                self.note_use(function_index, UseSite::RefFunc { function }, None);
            }
        }
        Ok(())
    }
}

/// A mismatch found before the import's name and offset are attached.
enum Mismatch {
    Unknown,
    Signature(Intrinsic, String),
    BadType(u32),
}

impl Mismatch {
    /// The error for the import `module::name` at byte `offset`.
    fn at(self, module: &str, name: &str, offset: usize) -> ImportError {
        let (module, name) = (module.to_owned(), name.to_owned());
        match self {
            Mismatch::Unknown => ImportError::UnknownIntrinsic {
                module,
                name,
                offset,
            },
            Mismatch::Signature(intrinsic, found) => ImportError::WrongSignature {
                module,
                name,
                intrinsic,
                found,
                offset,
            },
            Mismatch::BadType(type_index) => ImportError::BadTypeIndex {
                module,
                name,
                type_index,
                offset,
            },
        }
    }
}

/// Checks one function import of the intrinsics namespace.
fn check_import(types: &FuncTypes, name: &str, type_index: u32) -> Result<Intrinsic, Mismatch> {
    let intrinsic = Intrinsic::from_name(name).ok_or(Mismatch::Unknown)?;
    let Some(Some((params, results))) = types.get(type_index as usize) else {
        return Err(Mismatch::BadType(type_index));
    };
    if same_types(params, intrinsic.params()) && same_types(results, intrinsic.results()) {
        Ok(intrinsic)
    } else {
        Err(Mismatch::Signature(
            intrinsic,
            SignatureText { params, results }.to_string(),
        ))
    }
}

fn same_types(found: &[WasmValType], expected: &[ValType]) -> bool {
    found.len() == expected.len()
        && found.iter().zip(expected).all(|(found, expected)| {
            matches!(
                (found, expected),
                (WasmValType::I32, ValType::I32) | (WasmValType::I64, ValType::I64)
            )
        })
}

fn kind_name(ty: TypeRef) -> &'static str {
    match ty {
        TypeRef::Func(_) => "function",
        TypeRef::Table(_) => "table",
        TypeRef::Memory(_) => "memory",
        TypeRef::Global(_) => "global",
        TypeRef::Tag(_) => "tag",
    }
}

/// Functions named by `ref.func` in a constant expression.
fn ref_funcs(expr: &ConstExpr<'_>) -> Result<Vec<u32>, Error> {
    let mut functions = Vec::new();
    let mut reader = expr.get_operators_reader();
    while !reader.eof() {
        if let Operator::RefFunc { function_index } = reader.read()? {
            functions.push(function_index);
        }
    }
    Ok(functions)
}

/// Functions an element segment refers to, in either encoding.
fn element_functions(items: ElementItems<'_>) -> Result<Vec<u32>, Error> {
    let mut functions = Vec::new();
    match items {
        ElementItems::Functions(reader) => {
            for index in reader {
                functions.push(index?);
            }
        }
        ElementItems::Expressions(_, reader) => {
            for expr in reader {
                functions.extend(ref_funcs(&expr?)?);
            }
        }
    }
    Ok(functions)
}
