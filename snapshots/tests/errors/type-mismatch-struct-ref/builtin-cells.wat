(module
  (type $cell (struct (field (mut i64))))
  (global (export "cell") (ref null $cell) (ref.null $cell)))
