package nativeapi

import (
	"net/http"
	"time"

	"github.com/jointcloud/jcs/engine"
)

// The admin routes manage users and their access keys for the S3 API. They sit beside /v1
// under /admin/v1, take the same envelope and, like every route here, need the root
// credentials: no other user can sign requests to this API.

type userDTO struct {
	UserID     engine.UserID `json:"userID"`
	Name       string        `json:"name"`
	CreateTime time.Time     `json:"createTime"`
}

type accessKeyDTO struct {
	AccessKeyID     string        `json:"accessKeyID"`
	SecretAccessKey string        `json:"secretAccessKey,omitempty"` // only when created
	UserID          engine.UserID `json:"userID"`
	CreateTime      time.Time     `json:"createTime"`
}

type userNameRequest struct {
	Name string `json:"name"`
}

type accessKeyRequest struct {
	AccessKeyID string `json:"accessKeyID"`
}

func toUser(u engine.User) userDTO {
	return userDTO{UserID: u.ID, Name: u.Name, CreateTime: u.CreateTime}
}

func (h *Handler) createUser(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req userNameRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	u, err := h.e.CreateUser(r.Context(), req.Name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"user": toUser(u)}, nil
}

func (h *Handler) listUsers(_ http.ResponseWriter, r *http.Request) (any, error) {
	us, err := h.e.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]userDTO, len(us))
	for i, u := range us {
		out[i] = toUser(u)
	}
	return map[string]any{"users": out}, nil
}

func (h *Handler) deleteUser(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req userNameRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	u, err := h.e.GetUserByName(r.Context(), req.Name)
	if err != nil {
		return nil, err
	}
	return nil, h.e.DeleteUser(r.Context(), u.ID)
}

func (h *Handler) createAccessKey(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req userNameRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	u, err := h.e.GetUserByName(r.Context(), req.Name)
	if err != nil {
		return nil, err
	}
	k, err := h.e.CreateAccessKey(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"accessKey": accessKeyDTO{AccessKeyID: k.ID, SecretAccessKey: k.Secret, UserID: k.User, CreateTime: k.CreateTime}}, nil
}

func (h *Handler) listAccessKeys(_ http.ResponseWriter, r *http.Request) (any, error) {
	name := r.URL.Query().Get("name")
	if name == "" {
		return nil, badArgument("query parameter name is required")
	}
	u, err := h.e.GetUserByName(r.Context(), name)
	if err != nil {
		return nil, err
	}
	ks, err := h.e.ListAccessKeys(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	out := make([]accessKeyDTO, len(ks))
	for i, k := range ks {
		out[i] = accessKeyDTO{AccessKeyID: k.ID, UserID: k.User, CreateTime: k.CreateTime}
	}
	return map[string]any{"accessKeys": out}, nil
}

func (h *Handler) deleteAccessKey(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req accessKeyRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	return nil, h.e.DeleteAccessKey(r.Context(), req.AccessKeyID)
}
