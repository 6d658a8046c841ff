// The request rules of openapi.yaml as spec.gen.go holds them.

package reqcheck

// Operation is one operation of openapi.yaml.
type Operation struct {
	ID     string // the operationId, as written in openapi.yaml
	Method string
	Path   string
	// Authenticated reports whether the operation has a security requirement (every operation
	// but the health check).
	Authenticated bool
	Params        []Param // query parameters, in the spec's order
	Body          *Body   // nil when the operation takes no body
}

// Param is a query parameter (form style, exploded, no empty value: the only kind the API has).
type Param struct {
	Name     string
	Required bool
	Schema   *Schema
}

// Body is an operation's request body, which is application/json.
type Body struct {
	Required bool
	Schema   *Schema
}

// Schema is the subset of an OpenAPI 3.0 schema object that openapi.yaml uses for requests.
type Schema struct {
	Type     string // "object", "string", "integer", "number" or "boolean"
	Format   string // e.g. "uuid", "uri", "int32"; "" for none
	Nullable bool
	Enum     []string // allowed values of a string; nil for any

	HasMinimum, HasMaximum bool
	Minimum, Maximum       float64

	MinLength    int
	HasMaxLength bool
	MaxLength    int

	// Properties of an object, by name, and the names in sorted order; members not listed are
	// allowed (openapi.yaml never sets additionalProperties).
	Properties    map[string]*Schema
	PropertyNames []string
	Required      []string // in the spec's order
}
