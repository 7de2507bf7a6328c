--- :PacoreSolve, :PacoreFix, :PacoreSolveAll, :PacoreCancel, :PacoreReport, :PacoreView: thin wrappers over the
--- server's commands.
local M = {}

--- The `pacore` client attached to `bufnr`, or nil with an error shown.
--- @param bufnr integer
--- @return vim.lsp.Client|nil
function M.client(bufnr)
  local clients = vim.lsp.get_clients({ bufnr = bufnr, name = "pacore" })
  if #clients == 0 then
    clients = vim.lsp.get_clients({ name = "pacore" })
  end
  if #clients == 0 then
    vim.notify(
      "PaCoRe: the language server is not running for this buffer; see :checkhealth pacore",
      vim.log.levels.ERROR
    )
    return nil
  end
  return clients[1]
end

--- `pacore.solve` arguments for the cursor position (docs/lsp-protocol.md).
--- @param client vim.lsp.Client
--- @param bufnr integer
--- @return table
function M.solve_arguments(client, bufnr)
  local win = vim.fn.bufwinid(bufnr)
  local params = vim.lsp.util.make_position_params(win ~= -1 and win or 0, client.offset_encoding)
  return {
    {
      uri = vim.uri_from_bufnr(bufnr),
      position = params.position,
      version = vim.lsp.util.buf_versions[bufnr],
    },
  }
end

--- Run a server command; `on_result(result)` on success, errors shown with vim.notify.
--- @param client vim.lsp.Client
--- @param command string
--- @param arguments table
--- @param bufnr integer
--- @param on_result fun(result: any)|nil
function M.execute(client, command, arguments, bufnr, on_result)
  client:request("workspace/executeCommand", { command = command, arguments = arguments }, function(err, result)
    if err then
      vim.notify(("PaCoRe: %s"):format(err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result)
    end
  end, bufnr)
end

--- Start `command` (pacore.solve or pacore.fix) on the function under the cursor.
--- @param state table plugin state (last solve id)
--- @param command string
--- @param verb string what the notification says ("solving", "fixing")
local function start_at_cursor(state, command, verb)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    return
  end
  M.execute(client, command, M.solve_arguments(client, bufnr), bufnr, function(result)
    if type(result) ~= "table" or result.solveId == nil then
      vim.notify("PaCoRe: the server did not start a solve: " .. vim.inspect(result), vim.log.levels.ERROR)
      return
    end
    state.last_solve = result
    vim.notify(("PaCoRe: %s %s (%s)"):format(verb, result["function"], result.solveId), vim.log.levels.INFO)
  end)
end

--- :PacoreSolve — solve the function under the cursor.
--- @param state table plugin state (last solve id)
function M.solve(state)
  start_at_cursor(state, "pacore.solve", "solving")
end

--- :PacoreFix — repair the written function under the cursor: its tests run first (passing,
--- nothing to fix), then PaCoRe starts from it and its failing tests ("Fix with PaCoRe").
--- @param state table plugin state (last solve id)
function M.fix(state)
  start_at_cursor(state, "pacore.fix", "fixing")
end

--- :PacoreSolveAll — every stub of the current file, callees first (with a bang: of the
--- whole workspace). One progress stream; each edit lands as its stub is solved.
--- @param state table plugin state (last solve id)
--- @param workspace boolean
function M.solve_all(state, workspace)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    return
  end
  local arguments = workspace and {}
    or { { uri = vim.uri_from_bufnr(bufnr), version = vim.lsp.util.buf_versions[bufnr] } }
  M.execute(client, "pacore.solveAll", arguments, bufnr, function(result)
    if type(result) ~= "table" or result.solveId == nil then
      vim.notify("PaCoRe: the server did not start: " .. vim.inspect(result), vim.log.levels.ERROR)
      return
    end
    state.last_solve = result
    vim.notify(("PaCoRe: solving %d stubs (%s)"):format(#result.stubs, result.solveId), vim.log.levels.INFO)
  end)
end

--- :PacoreCancel [solveId] — cancel one solve, or all running solves.
--- @param args string
function M.cancel(args)
  local client = M.client(vim.api.nvim_get_current_buf())
  if not client then
    return
  end
  local arguments = args ~= "" and { { solveId = args } } or {}
  M.execute(client, "pacore.cancel", arguments, 0, function(result)
    local ids = result and result.cancelled or {}
    vim.notify(#ids > 0 and ("PaCoRe: cancelled %s"):format(table.concat(ids, ", ")) or "PaCoRe: nothing to cancel")
  end)
end

--- One line summing up a report.
--- @param report table
--- @return string
function M.summary(report)
  local v = type(report.verification) == "table" and report.verification or {}
  local tests = (v.passed and v.total) and (", %d/%d tests"):format(v.passed, v.total) or ""
  local tokens = report.ttc_tokens and (", %d tokens"):format(report.ttc_tokens) or ""
  return ("PaCoRe: %s: %s%s%s"):format(tostring(report["function"]), tostring(report.status), tests, tokens)
end

--- :PacoreReport [solveId] — the last (or named) run's report in a scratch buffer.
--- @param args string
function M.report(args)
  local client = M.client(vim.api.nvim_get_current_buf())
  if not client then
    return
  end
  local arguments = args ~= "" and { { solveId = args } } or {}
  M.execute(client, "pacore.report", arguments, 0, function(report)
    if type(report) ~= "table" then
      vim.notify("PaCoRe: no report yet; run :PacoreSolve first")
      return
    end
    local ok, text = pcall(vim.json.encode, report, { indent = "  " })
    if not ok then
      text = vim.json.encode(report)
    end
    vim.cmd("botright new")
    local buf = vim.api.nvim_get_current_buf()
    vim.bo[buf].buftype = "nofile"
    vim.bo[buf].bufhidden = "wipe"
    vim.bo[buf].filetype = "json"
    vim.api.nvim_buf_set_name(buf, ("pacore-report://%s"):format(report.solveId or report["function"] or buf))
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(text, "\n"))
    vim.bo[buf].modifiable = false
    vim.notify(M.summary(report))
  end)
end

--- :PacoreView [solveId] — write the last (or named) run's page (one self-contained HTML file,
--- beside its record under .pacore/runs/) and open it with vim.ui.open (the default browser).
--- @param args string
function M.view(args)
  local client = M.client(vim.api.nvim_get_current_buf())
  if not client then
    return
  end
  local arguments = { { solveId = args ~= "" and args or nil, write = true } }
  M.execute(client, "pacore.runPage", arguments, 0, function(page)
    if type(page) ~= "table" or type(page.path) ~= "string" then
      vim.notify("PaCoRe: no run yet; run :PacoreSolve first")
      return
    end
    local _, err = vim.ui.open(page.path)
    if err then
      vim.notify(("PaCoRe: run page written to %s; could not open it: %s"):format(page.path, err), vim.log.levels.WARN)
      return
    end
    vim.notify(("PaCoRe: run page of %s (%s): %s"):format(page["function"], page.state, page.path))
  end)
end

return M
