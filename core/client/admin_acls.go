package client

import (
	"fmt"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ACL is an access control entry bound to a resource pattern, or, in
// DescribeACLs and DeleteACLs, a filter over them: there a nil name,
// principal or host matches any, and the enums may be "any" (and the
// pattern type "match": literal, wildcard and prefixed patterns covering
// the name).
type ACL struct {
	ResourceType kmsg.ACLResourceType
	ResourceName *string
	PatternType  kmsg.ACLResourcePatternType
	Principal    *string
	Host         *string
	Operation    kmsg.ACLOperation
	Permission   kmsg.ACLPermissionType
}

// ACLFields is how many strings describe an ACL: resource type, resource
// name, pattern type, principal, host, operation, permission type.
const ACLFields = 7

// ParseACL reads an ACL from its ACLFields strings (nil where unset): the
// enums by Kafka's names in any case ("topic", "prefixed", "read",
// "allow"). A binding (filter false) needs every field, and no "any" or
// "match".
func ParseACL(f [ACLFields]*string, filter bool) (ACL, error) {
	var a ACL
	enum := func(what string, s *string, parse func(string) error) error {
		if s == nil {
			return fmt.Errorf("acl %s missing", what)
		}
		if err := parse(*s); err != nil {
			return fmt.Errorf("acl %s %q unknown", what, *s)
		}
		return nil
	}
	var err error
	if err = enum("resource type", f[0], func(s string) (e error) { a.ResourceType, e = kmsg.ParseACLResourceType(s); return }); err != nil {
		return a, err
	}
	if err = enum("pattern type", f[2], func(s string) (e error) { a.PatternType, e = kmsg.ParseACLResourcePatternType(s); return }); err != nil {
		return a, err
	}
	if err = enum("operation", f[5], func(s string) (e error) { a.Operation, e = kmsg.ParseACLOperation(s); return }); err != nil {
		return a, err
	}
	if err = enum("permission type", f[6], func(s string) (e error) { a.Permission, e = kmsg.ParseACLPermissionType(s); return }); err != nil {
		return a, err
	}
	a.ResourceName, a.Principal, a.Host = f[1], f[3], f[4]
	if filter {
		return a, nil
	}
	switch {
	case a.ResourceName == nil || a.Principal == nil || a.Host == nil:
		return a, fmt.Errorf("acl binding needs a resource name, principal and host")
	case a.ResourceType == kmsg.ACLResourceTypeAny, a.PatternType == kmsg.ACLResourcePatternTypeAny,
		a.PatternType == kmsg.ACLResourcePatternTypeMatch, a.Operation == kmsg.ACLOperationAny,
		a.Permission == kmsg.ACLPermissionTypeAny:
		return a, fmt.Errorf("acl binding cannot use \"any\" or \"match\" (filters can)")
	}
	return a, nil
}

// aclTree is the result shape of an ACL binding.
func aclTree(rt kmsg.ACLResourceType, name string, pt kmsg.ACLResourcePatternType, principal, host string,
	op kmsg.ACLOperation, perm kmsg.ACLPermissionType) tree.Value {
	return tree.M("resource_type", tree.S(aclName(rt)), "resource_name", tree.S(name),
		"pattern_type", tree.S(aclName(pt)), "principal", tree.S(principal), "host", tree.S(host),
		"operation", tree.S(aclName(op)), "permission_type", tree.S(aclName(perm)))
}

// CreateACLs creates ACL bindings. Result: {results => [{error_code,
// error_message}]}, one per binding in the order given; a broker without
// an authorizer answers SECURITY_DISABLED (54).
func (c *Client) CreateACLs(acls []ACL, cb func(tree.Value, error)) {
	req := kmsg.NewPtrCreateACLsRequest()
	for _, a := range acls {
		cr := kmsg.NewCreateACLsRequestCreation()
		cr.ResourceType, cr.ResourceName, cr.ResourcePatternType = a.ResourceType, *a.ResourceName, a.PatternType
		cr.Principal, cr.Host, cr.Operation, cr.PermissionType = *a.Principal, *a.Host, a.Operation, a.Permission
		req.Creations = append(req.Creations, cr)
	}
	c.viaAnyBroker(cb, func(cn *conn.Conn, done connapi.Callback) {
		cn.Do(req, func(resp kmsg.Response, err error) {
			if err != nil {
				done(tree.Value{}, err)
				return
			}
			var out []tree.Value
			for _, r := range resp.(*kmsg.CreateACLsResponse).Results {
				out = append(out, tree.M("error_code", tree.I(r.ErrorCode), "error_message", tree.OptS(r.ErrorMessage)))
			}
			done(tree.M("results", tree.L(out...)), nil)
		})
	})
}

// DescribeACLs lists the ACL bindings matching filter. Result: {acls =>
// [{resource_type, resource_name, pattern_type, principal, host,
// operation, permission_type}]} (enum names in lower case); the broker's
// refusal (SECURITY_DISABLED (54) without an authorizer) is the error.
func (c *Client) DescribeACLs(filter ACL, cb func(tree.Value, error)) {
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType, req.ResourceName, req.ResourcePatternType = filter.ResourceType, filter.ResourceName, filter.PatternType
	req.Principal, req.Host, req.Operation, req.PermissionType = filter.Principal, filter.Host, filter.Operation, filter.Permission
	c.viaAnyBroker(cb, func(cn *conn.Conn, done connapi.Callback) {
		cn.Do(req, func(resp kmsg.Response, err error) {
			if err != nil {
				done(tree.Value{}, err)
				return
			}
			r := resp.(*kmsg.DescribeACLsResponse)
			if err := refused("describe acls", r.ErrorCode, r.ErrorMessage); err != nil {
				done(tree.Value{}, err)
				return
			}
			var out []tree.Value
			for _, res := range r.Resources {
				for _, a := range res.ACLs {
					out = append(out, aclTree(res.ResourceType, res.ResourceName, res.ResourcePatternType,
						a.Principal, a.Host, a.Operation, a.PermissionType))
				}
			}
			done(tree.M("acls", tree.L(out...)), nil)
		})
	})
}

// DeleteACLs deletes the ACL bindings matching each filter. Result:
// {results => [{error_code, error_message, acls => [binding (as
// DescribeACLs) with error_code, error_message]}]}, one per filter in the
// order given.
func (c *Client) DeleteACLs(filters []ACL, cb func(tree.Value, error)) {
	req := kmsg.NewPtrDeleteACLsRequest()
	for _, f := range filters {
		rf := kmsg.NewDeleteACLsRequestFilter()
		rf.ResourceType, rf.ResourceName, rf.ResourcePatternType = f.ResourceType, f.ResourceName, f.PatternType
		rf.Principal, rf.Host, rf.Operation, rf.PermissionType = f.Principal, f.Host, f.Operation, f.Permission
		req.Filters = append(req.Filters, rf)
	}
	c.viaAnyBroker(cb, func(cn *conn.Conn, done connapi.Callback) {
		cn.Do(req, func(resp kmsg.Response, err error) {
			if err != nil {
				done(tree.Value{}, err)
				return
			}
			var out []tree.Value
			for _, r := range resp.(*kmsg.DeleteACLsResponse).Results {
				matched := make([]tree.Value, 0, len(r.MatchingACLs))
				for _, m := range r.MatchingACLs {
					v := aclTree(m.ResourceType, m.ResourceName, m.ResourcePatternType, m.Principal, m.Host,
						m.Operation, m.PermissionType)
					v.Items = append(v.Items, tree.S("error_code"), tree.I(m.ErrorCode),
						tree.S("error_message"), tree.OptS(m.ErrorMessage))
					matched = append(matched, v)
				}
				out = append(out, tree.M("error_code", tree.I(r.ErrorCode), "error_message", tree.OptS(r.ErrorMessage),
					"acls", tree.L(matched...)))
			}
			done(tree.M("results", tree.L(out...)), nil)
		})
	})
}
