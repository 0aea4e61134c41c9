(module
  (type $box (struct))
  (global (export "cell") (ref null $box) (struct.new $box)))
