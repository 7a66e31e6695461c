// Package decodeonly lets package chain see through transform.DecodeOnly
// without transform exporting a way to do so. Package transform cannot
// import chain (chain imports transform), so it registers, when it is
// loaded, the function below in this package, which imports nothing; the
// values are transform.Transformer, typed any here for that reason.
package decodeonly

// Inner returns the step t wraps and true when t was returned by
// transform.DecodeOnly, else nil and false. Package transform sets it in
// its init, which runs before any caller of package chain can.
var Inner func(t any) (inner any, ok bool)
