(module (func (export "h")))
