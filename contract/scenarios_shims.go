package contract

import "github.com/verifeye-twin/verifeye/signing"

// variant is a candidate signing algorithm.
type variant = signing.Variant

// signingVariants lists the candidate algorithms, the mock's default first.
func signingVariants() []variant { return signing.Variants() }

// verdict records what a scenario found out about an assumption of the mock.
func verdict(t *T, id string, confirmed bool, detail string) {
	if !confirmed {
		t.Errorf("assumption %s contradicted: %s", id, detail)
	}
}
