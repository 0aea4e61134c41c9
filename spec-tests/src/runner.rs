//! A `.wast` interpreter that puts the linker between the test and wasmtime.
//!
//! wasmtime ships its own `.wast` runner, but it instantiates modules itself;
//! the linker has to see every module *before* it is instantiated, so this
//! is a small runner over the `wast` crate's directives. One [`run_file`] runs
//! one file under one [`Transform`], from a fresh store, and returns one
//! [`Check`] per directive: every directive either does what the script
//! says (a module instantiates, an invocation returns or traps as asserted,
//! an invalid module is rejected, ...) or fails with a message.
//!
//! Only the module under test is transformed. The `spectest` module and
//! registered instances live in a wasmtime linker, and a transformed module
//! imports from them exactly as the original would: the linker forwards a
//! module's own imports.
//!
//! Traps are matched by message, as the spec interpreter reports them;
//! wasmtime's messages contain the spec's text except that every flavour of
//! "null ... reference" is one trap code.

use crate::spectest;
use crate::transform::Transform;
use crate::values;
use std::collections::HashMap;
use wasmtime::{Engine, Instance, Module, Store, ThrownException, Trap, Val};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::token::Id;
use wast::{
    QuoteWat, QuoteWatTest, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat,
};

/// The verdict on one directive of a file.
#[derive(Debug, Clone)]
pub struct Check {
    /// 1-based line of the directive; 0 when the file itself failed.
    pub line: usize,
    /// The directive, e.g. `assert_return`.
    pub kind: &'static str,
    /// `Err` says what went wrong.
    pub result: Result<(), String>,
}

/// Compiled modules of one file, shared by its runs: the baseline and the
/// transformations often produce identical bytes (the inline modes, until
/// the inliner changes something), and compilation dominates the run time.
#[derive(Default)]
pub struct ModuleCache {
    modules: HashMap<Vec<u8>, Module>,
}

impl ModuleCache {
    fn compile(&mut self, engine: &Engine, bytes: Vec<u8>) -> Result<Module, String> {
        if let Some(module) = self.modules.get(&bytes) {
            return Ok(module.clone());
        }
        let module =
            Module::new(engine, &bytes).map_err(|e| format!("wasmtime rejects it: {e}"))?;
        self.modules.insert(bytes, module.clone());
        Ok(module)
    }
}

/// How an execution ended when it did not return.
enum Abrupt {
    Trap(Trap),
    Exception,
    Error(String),
}

impl Abrupt {
    fn from_error(error: wasmtime::Error) -> Abrupt {
        if let Some(trap) = error.downcast_ref::<Trap>() {
            Abrupt::Trap(*trap)
        } else if error.is::<ThrownException>() {
            Abrupt::Exception
        } else {
            Abrupt::Error(format!("{error:?}"))
        }
    }

    fn describe(&self) -> String {
        match self {
            Abrupt::Trap(trap) => format!("trapped: {trap}"),
            Abrupt::Exception => "threw an exception".to_string(),
            Abrupt::Error(e) => format!("failed: {e}"),
        }
    }
}

/// Runs `source` (the contents of the file `path`) under `transform`.
pub fn run_file(
    engine: &Engine,
    cache: &mut ModuleCache,
    transform: Transform,
    source: &str,
) -> Vec<Check> {
    let mut lexer = Lexer::new(source);
    lexer.allow_confusing_unicode(true);
    let buffer = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buffer) => buffer,
        Err(e) => return vec![file_failure(format!("the file does not lex: {e}"))],
    };
    let wast = match parser::parse::<Wast<'_>>(&buffer) {
        Ok(wast) => wast,
        Err(e) => return vec![file_failure(format!("the file does not parse: {e}"))],
    };
    let mut runner = match Runner::new(engine, cache, transform) {
        Ok(runner) => runner,
        Err(e) => return vec![file_failure(e)],
    };
    let mut checks = Vec::with_capacity(wast.directives.len());
    for directive in wast.directives {
        let line = directive.span().linecol_in(source).0 + 1;
        let kind = kind_of(&directive);
        let result = runner.directive(directive);
        checks.push(Check { line, kind, result });
    }
    checks
}

fn file_failure(message: String) -> Check {
    Check {
        line: 0,
        kind: "file",
        result: Err(message),
    }
}

fn kind_of(directive: &WastDirective<'_>) -> &'static str {
    match directive {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

/// The state of one run of one file.
struct Runner<'a> {
    engine: &'a Engine,
    cache: &'a mut ModuleCache,
    transform: Transform,
    store: Store<()>,
    linker: wasmtime::Linker<()>,
    current: Option<Instance>,
    instances: HashMap<String, Instance>,
    definitions: HashMap<String, Vec<u8>>,
}

impl<'a> Runner<'a> {
    fn new(
        engine: &'a Engine,
        cache: &'a mut ModuleCache,
        transform: Transform,
    ) -> Result<Self, String> {
        let mut store = Store::new(engine, ());
        let mut linker = wasmtime::Linker::new(engine);
        // Scripts register several instances under one name in turn.
        linker.allow_shadowing(true);
        spectest::define(&mut linker, &mut store).map_err(|e| format!("spectest: {e}"))?;
        Ok(Runner {
            engine,
            cache,
            transform,
            store,
            linker,
            current: None,
            instances: HashMap::new(),
            definitions: HashMap::new(),
        })
    }

    fn directive(&mut self, directive: WastDirective<'_>) -> Result<(), String> {
        match directive {
            WastDirective::Module(module) => self.module(module),
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name();
                let bytes = encode(&mut module)?;
                // A definition must compile even if it is never instantiated.
                self.compile(&bytes)?;
                if let Some(name) = name {
                    self.definitions.insert(name.name().to_string(), bytes);
                }
                Ok(())
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let definition = module
                    .and_then(|m| self.definitions.get(m.name()))
                    .cloned()
                    .ok_or("unknown module definition")?;
                let compiled = self.compile(&definition)?;
                self.current = None;
                let created = self
                    .instantiate(&compiled)
                    .map_err(|a| format!("instantiation {}", a.describe()))?;
                if let Some(id) = instance {
                    self.instances.insert(id.name().to_string(), created);
                }
                self.current = Some(created);
                Ok(())
            }
            WastDirective::Register { name, module, .. } => {
                let instance = self.instance(module)?;
                self.linker
                    .instance(&mut self.store, name, instance)
                    .map(|_| ())
                    .map_err(|e| format!("cannot register `{name}`: {e}"))
            }
            WastDirective::Invoke(invoke) => match self.invoke(invoke)? {
                Ok(_) => Ok(()),
                Err(abrupt) => Err(format!("the invocation {}", abrupt.describe())),
            },
            WastDirective::AssertReturn { exec, results, .. } => {
                let values = match self.execute(exec)? {
                    Ok(values) => values,
                    Err(abrupt) => return Err(format!("expected a return, {}", abrupt.describe())),
                };
                self.check_results(&values, &results)
            }
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec)? {
                Ok(values) => Err(format!(
                    "expected a trap `{message}`, returned {}",
                    show(&values)
                )),
                Err(Abrupt::Trap(trap)) if trap_matches(trap, message) => Ok(()),
                Err(abrupt) => Err(format!(
                    "expected a trap `{message}`, {}",
                    abrupt.describe()
                )),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(call)? {
                Ok(values) => Err(format!("expected `{message}`, returned {}", show(&values))),
                Err(Abrupt::Trap(trap)) if trap_matches(trap, message) => Ok(()),
                Err(abrupt) => Err(format!("expected `{message}`, {}", abrupt.describe())),
            },
            WastDirective::AssertException { exec, .. } => match self.execute(exec)? {
                Ok(values) => Err(format!("expected an exception, returned {}", show(&values))),
                Err(Abrupt::Exception) => {
                    self.store.take_pending_exception();
                    Ok(())
                }
                Err(abrupt) => Err(format!("expected an exception, {}", abrupt.describe())),
            },
            WastDirective::AssertUnlinkable {
                mut module,
                message,
                ..
            } => {
                let bytes = module
                    .encode()
                    .map_err(|e| format!("cannot encode the module: {e}"))?;
                let compiled = self.compile(&bytes)?;
                match self.instantiate(&compiled) {
                    Ok(_) => Err(format!("expected `{message}`, the module linked")),
                    Err(Abrupt::Error(_)) => Ok(()),
                    Err(abrupt) => Err(format!(
                        "expected `{message}`, instantiation {}",
                        abrupt.describe()
                    )),
                }
            }
            WastDirective::AssertInvalid {
                module, message, ..
            }
            | WastDirective::AssertMalformed {
                module, message, ..
            } => self.reject(module, message),
            other => Err(format!("unsupported directive `{}`", kind_of(&other))),
        }
    }

    fn module(&mut self, mut module: QuoteWat<'_>) -> Result<(), String> {
        let name = module.name();
        let bytes = encode(&mut module)?;
        let compiled = self.compile(&bytes)?;
        // A failed module must not leave its predecessor in place for the
        // assertions that follow.
        self.current = None;
        let instance = self
            .instantiate(&compiled)
            .map_err(|a| format!("instantiation {}", a.describe()))?;
        if let Some(name) = name {
            self.instances.insert(name.name().to_string(), instance);
        }
        self.current = Some(instance);
        Ok(())
    }

    /// Transforms and compiles a module the script says is valid.
    fn compile(&mut self, bytes: &[u8]) -> Result<Module, String> {
        let transformed = self.transform.apply(bytes)?;
        self.cache.compile(self.engine, transformed)
    }

    fn instantiate(&mut self, module: &Module) -> Result<Instance, Abrupt> {
        self.linker
            .instantiate(&mut self.store, module)
            .map_err(Abrupt::from_error)
    }

    fn instance(&self, id: Option<Id<'_>>) -> Result<Instance, String> {
        match id {
            Some(id) => self
                .instances
                .get(id.name())
                .copied()
                .ok_or_else(|| format!("no instance named `${}`", id.name())),
            None => self.current.ok_or_else(|| "no current module".to_string()),
        }
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Result<Vec<Val>, Abrupt>, String> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(invoke),
            WastExecute::Wat(mut module) => {
                let bytes = module
                    .encode()
                    .map_err(|e| format!("cannot encode the module: {e}"))?;
                let compiled = self.compile(&bytes)?;
                Ok(self.instantiate(&compiled).map(|_| Vec::new()))
            }
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module)?;
                let global = instance
                    .get_global(&mut self.store, global)
                    .ok_or_else(|| format!("no exported global `{global}`"))?;
                Ok(Ok(vec![global.get(&mut self.store)]))
            }
        }
    }

    fn invoke(&mut self, invoke: WastInvoke<'_>) -> Result<Result<Vec<Val>, Abrupt>, String> {
        let instance = self.instance(invoke.module)?;
        let func = instance
            .get_func(&mut self.store, invoke.name)
            .ok_or_else(|| format!("no exported function `{}`", invoke.name))?;
        let ty = func.ty(&self.store);
        let params: Vec<_> = ty.params().collect();
        if params.len() != invoke.args.len() {
            return Err(format!(
                "`{}` takes {} arguments, the script passes {}",
                invoke.name,
                params.len(),
                invoke.args.len()
            ));
        }
        let mut args = Vec::with_capacity(params.len());
        for (arg, param) in invoke.args.iter().zip(&params) {
            match arg {
                WastArg::Core(core) => args.push(values::arg(&mut self.store, core, param)?),
                _ => return Err("component arguments are not supported".into()),
            }
        }
        let mut results = vec![Val::I32(0); ty.results().len()];
        Ok(match func.call(&mut self.store, &args, &mut results) {
            Ok(()) => Ok(results),
            Err(e) => Err(Abrupt::from_error(e)),
        })
    }

    fn check_results(&mut self, actual: &[Val], expected: &[WastRet<'_>]) -> Result<(), String> {
        if actual.len() != expected.len() {
            return Err(format!(
                "expected {} results, found {}: {}",
                expected.len(),
                actual.len(),
                show(actual)
            ));
        }
        for (i, (value, want)) in actual.iter().zip(expected).enumerate() {
            let WastRet::Core(want) = want else {
                return Err("component results are not supported".into());
            };
            values::check(&mut self.store, value, want).map_err(|e| format!("result {i}: {e}"))?;
        }
        Ok(())
    }

    /// `assert_invalid` / `assert_malformed`: wasmtime (baseline) or the
    /// linker (every other column) must refuse the module.
    fn reject(&mut self, mut module: QuoteWat<'_>, message: &str) -> Result<(), String> {
        let input = match module.to_test() {
            Ok(QuoteWatTest::Binary(bytes)) => bytes,
            Ok(QuoteWatTest::Text(text)) => text,
            // The wast crate refusing to encode text is the malformed outcome.
            Err(_) => return Ok(()),
        };
        if self.transform != Transform::Baseline {
            return self
                .transform
                .reject(&input)
                .map_err(|e| format!("expected `{message}`: {e}"));
        }
        let binary = if input.starts_with(b"\0asm") {
            input
        } else {
            match encode_text(&input) {
                Ok(binary) => binary,
                Err(_) => return Ok(()),
            }
        };
        match Module::validate(self.engine, &binary) {
            Ok(()) => Err(format!("expected `{message}`, wasmtime accepts the module")),
            Err(_) => Ok(()),
        }
    }
}

fn encode(module: &mut QuoteWat<'_>) -> Result<Vec<u8>, String> {
    if matches!(
        module,
        QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_))
    ) {
        return Err("components are not supported".into());
    }
    module
        .encode()
        .map_err(|e| format!("cannot encode the module: {e}"))
}

fn encode_text(text: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(text).map_err(|e| e.to_string())?;
    let buffer = ParseBuffer::new(text).map_err(|e| e.to_string())?;
    let mut wat = parser::parse::<Wat<'_>>(&buffer).map_err(|e| e.to_string())?;
    wat.encode().map_err(|e| e.to_string())
}

/// Whether a trap is the one the script names. wasmtime's message contains
/// the spec's wording, except that the spec may add an element index, and
/// names the kind of a null reference ("null function reference", "null
/// array reference", ...) where wasmtime has one trap code.
fn trap_matches(trap: Trap, expected: &str) -> bool {
    let actual = trap.to_string();
    if actual.contains(expected) {
        return true;
    }
    // The reference interpreter appends the element's index
    // ("uninitialized element 2"); wasmtime does not.
    if let Some((text, index)) = expected.rsplit_once(' ') {
        if index.parse::<u32>().is_ok() && actual.contains(text) {
            return true;
        }
    }
    trap == Trap::NullReference && expected.starts_with("null ") && expected.ends_with(" reference")
}

fn show(values: &[Val]) -> String {
    let shown: Vec<String> = values.iter().map(values::show).collect();
    format!("[{}]", shown.join(", "))
}
