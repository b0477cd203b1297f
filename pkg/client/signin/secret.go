package signin

import "fmt"

// Redacted is what a Secret prints as.
const Redacted = "[REDACTED]"

// Secret is a client secret, refresh token or access token. Every way of printing or
// encoding it shows Redacted; Reveal returns the value for the one place that sends it.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String returns Redacted.
func (s Secret) String() string { return Redacted }

// GoString returns Redacted, so %#v does not show the value either.
func (s Secret) GoString() string { return Redacted }

// Format prints Redacted for every verb.
func (s Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(Redacted)) }

// MarshalJSON encodes Redacted.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText encodes Redacted (used by encoding/json map keys, zerolog and others).
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
