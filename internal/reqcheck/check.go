package reqcheck

import (
	"fmt"
	"net/http"
	"strings"
)

// Checker checks the requests of one operation against its rules in openapi.yaml.
type Checker struct {
	op      *Operation
	hasBody bool
	maxBody int64
	// fast are the operation's parameters when every one is a plain uuid string or a bounded
	// integer, which acceptsPlainQuery reads in place; nil otherwise.
	fast []fastParam
}

// Check checks r against the operation's rules. It returns the request to hand on (its query and
// body respelt as production reads them, the body re-readable and carrying its decoded value)
// and what to tell the client about it in X-Mock-Warning ("" for nothing), or the problem to
// answer instead. With strict, what production accepts but the spec does not spell (unknown
// members, names and values in another spelling) is a problem too, rather than a warning.
func (v *Checker) Check(r *http.Request, strict bool) (*http.Request, string, *Problem) {
	r2, notes, perr := v.check(r)
	if perr == nil && strict {
		perr = notes.strictProblem()
	}
	if perr != nil {
		return nil, "", perr
	}
	return r2, notes.warning(), nil
}

// New builds the Checker of op, for bodies of at most maxBody bytes. It refuses an operation
// whose rules it cannot check (an optional body, a parameter that is neither a string nor an
// integer) rather than check it partly.
func New(op *Operation, maxBody int64) (*Checker, error) {
	v := &Checker{op: op, hasBody: op.Body != nil, maxBody: maxBody}
	if op.Body != nil && !op.Body.Required {
		// readBody refuses an empty body; an optional one would need handling it does not have.
		return nil, fmt.Errorf("operation %s: the request body is optional; the mock reads required bodies only", op.ID)
	}
	for _, p := range op.Params {
		switch p.Schema.Type {
		case "string", "integer":
		default:
			return nil, fmt.Errorf("operation %s: query parameter %s is a %s; the mock reads string and integer parameters", op.ID, p.Name, p.Schema.Type)
		}
	}
	if len(op.Params) <= 4 {
		for _, p := range op.Params {
			fp, ok := simpleQueryParam(p)
			if !ok {
				v.fast = nil
				break
			}
			v.fast = append(v.fast, fp)
		}
	}
	return v, nil
}

// check checks r and returns the request to hand on (its body re-readable, its names the
// spec's) and what to tell the client about it, or the problem to answer.
func (v *Checker) check(r *http.Request) (*http.Request, fieldNotes, *Problem) {
	if !v.hasBody && v.acceptsPlainQuery(r.URL.RawQuery) {
		return r, fieldNotes{}, nil
	}
	r, foldedQuery, forms := v.foldQuery(r)
	q, qErr := v.checkQueryOnce(r.URL.RawQuery)
	if qErr != nil {
		return nil, fieldNotes{}, qErr
	}
	var e Problem // on the stack; a copy escapes only when there is a problem to answer
	v.checkParams(q, &e)
	if !v.hasBody {
		if perr := e.problem(); perr != nil {
			return nil, fieldNotes{}, perr
		}
		return r, fieldNotes{folded: foldedQuery, forms: forms}, nil
	}
	body, doc, decoded, bErr := v.readBody(r)
	if bErr != nil {
		return nil, fieldNotes{}, bErr
	}
	if !decoded { // valid JSON that json.Decoder does not take (readBody found no other fault)
		return nil, fieldNotes{}, badRequest("body", "must be valid JSON")
	}
	notes := fieldNotes{unknown: v.unknownFields(doc), folded: foldedQuery, forms: forms}
	// Names, enum values and integers are respelt only when the body has unknown members (a
	// respelt name is one until then) or breaks an enum or type rule (a respelt value does).
	if len(notes.unknown) > 0 {
		body, doc, notes = v.respell(body, doc, notes)
	}
	viols := v.op.Body.Schema.Validate(doc)
	if brokeRespellable(viols) {
		if body2, doc2, notes2 := v.respell(body, doc, notes); len(notes2.folded)+len(notes2.numbers) > len(notes.folded)+len(notes.numbers) {
			body, doc, notes = body2, doc2, notes2
			viols = v.op.Body.Schema.Validate(doc)
		}
	}
	for _, viol := range viols {
		field := "body"
		if len(viol.Path) > 0 {
			field = strings.Join(viol.Path, ".")
		}
		e.add(field, rule(viol.Keyword, viol.Schema))
	}
	integerForms(v.op.Body.Schema, doc, "", &e)
	if perr := e.problem(); perr != nil {
		return nil, fieldNotes{}, perr
	}
	// Hand the strict handler the validated value too, so runtime.BindJSONBody binds it instead
	// of decoding the JSON a second time. Its binder matches member names exactly and takes the
	// last of duplicate members whole, where encoding/json matches names case-insensitively and
	// merges duplicate objects: only a body whose every member is a field of the schema, each
	// once, binds to the same request either way.
	if len(notes.unknown) == 0 && jsonMemberCount(body) == docMemberCount(doc) {
		vb := &validatedBody{value: doc}
		vb.Reset(body)
		r.Body = vb
	} else {
		cb := &checkedBody{}
		cb.Reset(body)
		r.Body = cb
	}
	r.ContentLength = int64(len(body))
	return r, notes, nil
}

// respell returns body and doc with every member name that is a property of its object's
// schema, and every string that is an enum value of its schema, in another letter case spelt as
// the spec spells it, and notes with those renamings added and the unknown fields found again;
// body, doc and notes themselves when there is none.
func (v *Checker) respell(body []byte, doc any, notes fieldNotes) ([]byte, any, fieldNotes) {
	if !needsRespelling(v.op.Body.Schema, doc) {
		return body, doc, notes
	}
	respelt, renamed, numbers := respellBody(body, v.op.Body.Schema)
	doc2, ok := decodeOne(respelt)
	if !ok {
		return body, doc, notes // not reached: only names, enum values and integers changed, to ones that need no escaping
	}
	return respelt, doc2, fieldNotes{unknown: v.unknownFields(doc2), folded: append(notes.folded, renamed...),
		numbers: append(notes.numbers, numbers...), forms: notes.forms}
}

// brokeRespellable reports whether a string broke an enum rule or an integer's type rule among
// viols: respelling may mend either.
func brokeRespellable(viols []Violation) bool {
	for _, viol := range viols {
		if _, isString := viol.Value.(string); isString && (viol.Keyword == "enum" || viol.Keyword == "type" && viol.Schema.Type == "integer") {
			return true
		}
	}
	return false
}
