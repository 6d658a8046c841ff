package mockserver

// ring keeps the last n items added: the request journal and the webhook log are bounded so a
// mock that runs for days holds steady memory. The caller guards it.
type ring[T any] struct {
	buf   []T
	next  int
	full  bool
	limit int
}

func newRing[T any](limit int) *ring[T] { return &ring[T]{limit: limit} }

func (r *ring[T]) add(v T) {
	if len(r.buf) < r.limit {
		r.buf = append(r.buf, v)
		return
	}
	r.buf[r.next] = v
	r.next = (r.next + 1) % r.limit
	r.full = true
}

// items returns the kept items, oldest first.
func (r *ring[T]) items() []T {
	out := make([]T, 0, len(r.buf))
	if r.full {
		out = append(out, r.buf[r.next:]...)
		return append(out, r.buf[:r.next]...)
	}
	return append(out, r.buf...)
}

// keep drops the items for which ok is false, keeping the others in order.
func (r *ring[T]) keep(ok func(T) bool) {
	items := r.items()
	r.buf, r.next, r.full = r.buf[:0:0], 0, false
	for _, v := range items {
		if ok(v) {
			r.add(v)
		}
	}
}
