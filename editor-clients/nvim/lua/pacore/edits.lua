--- `workspace/applyEdit` with a strict version check.
---
--- Why not the built-in handler: it skips an edit for a buffer that changed meanwhile but
--- still answers `applied = true`; the server must learn the truth to keep its report right.
local M = {}

--- @param edit lsp.WorkspaceEdit
--- @return string|nil why the edit is stale
local function stale_reason(edit)
  for _, change in ipairs(edit.documentChanges or {}) do
    local doc = change.textDocument
    if change.edits and doc and type(doc.version) == "number" and doc.version > 0 then
      local bufnr = vim.uri_to_bufnr(doc.uri)
      local current = vim.lsp.util.buf_versions[bufnr]
      if vim.api.nvim_buf_is_loaded(bufnr) and current ~= doc.version then
        return ("%s changed since the solve started (version %d, edit for %d)"):format(
          vim.uri_to_fname(doc.uri), current, doc.version)
      end
    end
  end
  return nil
end

--- Handler for `workspace/applyEdit` (server -> client request).
--- @param params lsp.ApplyWorkspaceEditParams
--- @param ctx lsp.HandlerContext
--- @return lsp.ApplyWorkspaceEditResult
function M.apply_workspace_edit(_, params, ctx)
  local client = assert(vim.lsp.get_client_by_id(ctx.client_id))
  local reason = stale_reason(params.edit)
  if reason then
    return { applied = false, failureReason = reason }
  end
  local ok, err = pcall(vim.lsp.util.apply_workspace_edit, params.edit, client.offset_encoding)
  if not ok then
    return { applied = false, failureReason = tostring(err) }
  end
  if params.label then
    vim.api.nvim_echo({ { params.label .. ": applied", "Normal" } }, false, {})
  end
  return { applied = true }
end

return M
