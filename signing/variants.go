package signing

import (
	"fmt"
	"strings"
)

// Variant is one way of building the canonical form, by name.
type Variant struct {
	// Name is how the variant is chosen, as in verifeye-mock --signing-variant.
	Name string
	// Summary says in one line what the variant does.
	Summary string
	// Algorithm signs with the variant's canonical form.
	Algorithm Algorithm
}

// Names of the variants.
const (
	VariantDotnetICU     = "dotnet-icu"
	VariantDotnetOrdinal = "dotnet-ordinal"
	VariantGoQueryEscape = "go-queryescape"
)

var variants = []Variant{
	{
		Name:      VariantDotnetICU,
		Summary:   ".NET on ICU (the official Debian-based images): keys and values ordered by the ICU root collation, UrlEncoder.Default escaping",
		Algorithm: CanonicalSHA256{Form: FormDotnetICU},
	},
	{
		Name:      VariantDotnetOrdinal,
		Summary:   ".NET in invariant globalization mode (Alpine and chiseled images, InvariantGlobalization): ordinal UTF-16 ordering, UrlEncoder.Default escaping",
		Algorithm: CanonicalSHA256{Form: FormDotnetOrdinal},
	},
	{
		Name:      VariantGoQueryEscape,
		Summary:   "older versions of this mock: byte ordering, Go's url.QueryEscape ('@' as %40, space as +)",
		Algorithm: CanonicalSHA256{Form: FormGoQueryEscape},
	},
}

// Variants returns every variant, the default first.
func Variants() []Variant {
	return append([]Variant(nil), variants...)
}

// DefaultVariant returns the variant the package-level functions and the
// zero [Signer] use: dotnet-icu.
func DefaultVariant() Variant {
	return variants[0]
}

// VariantByName returns the variant called name. The error for an unknown
// name lists the valid ones.
func VariantByName(name string) (Variant, error) {
	names := make([]string, 0, len(variants))
	for _, v := range variants {
		if v.Name == name {
			return v, nil
		}
		names = append(names, v.Name)
	}
	return Variant{}, fmt.Errorf("signing: unknown signing variant %q; valid: %s", name, strings.Join(names, ", "))
}

// Signer returns a [Signer] that signs with v's algorithm.
func (v Variant) Signer() Signer {
	return Signer{Algorithm: v.Algorithm}
}
