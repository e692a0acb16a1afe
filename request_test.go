package chargedesk

// requestFor builds action's request from a decoded envelope, as the
// handler does.
func requestFor(env *envelope, action Action, raw Raw) request {
	req := definition(action).newRequest()
	req.fill(env, raw)
	return req
}
