-- Drives a real :PacoreSolve (or PACORE_TEST_COMMAND, e.g. PacoreFix) in headless Neovim and writes what happened to a JSON file.
-- Environment: PACORE_TEST_FILE (stub file), PACORE_TEST_CURSOR ("line,col", 1-based line),
-- PACORE_TEST_CASE ("solve" | "stale" | "cancel" | "settings"), PACORE_TEST_RESULT (output JSON path).
local out = { progress = {}, notifications = {}, steps = {} }
local result_path = vim.env.PACORE_TEST_RESULT

local function buffer_text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") .. "\n"
end

local function finish(err)
  out.error = err
  out.buffers = {}
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) then
      table.insert(out.buffers, { name = vim.api.nvim_buf_get_name(b), text = buffer_text(b) })
    end
  end
  local f = assert(io.open(result_path, "w"))
  f:write(vim.json.encode(out))
  f:close()
  vim.cmd("qa!")
end

local function progress_ended()
  for _, p in ipairs(out.progress) do
    if p.kind == "end" then
      return true
    end
  end
  return false
end

local function step(name)
  table.insert(out.steps, name)
end

local ok, err = xpcall(function()
  local notify = vim.notify
  vim.notify = function(msg, level, opts)
    table.insert(out.notifications, { message = tostring(msg), level = level or vim.log.levels.INFO })
    return notify(msg, level, opts)
  end
  vim.api.nvim_create_autocmd("LspProgress", {
    callback = function(ev)
      table.insert(out.progress, ev.data.params.value)
    end,
  })

  vim.cmd.edit(vim.fn.fnameescape(vim.env.PACORE_TEST_FILE))
  local bufnr = vim.api.nvim_get_current_buf()
  local client
  assert(vim.wait(30000, function()
    client = vim.lsp.get_clients({ bufnr = bufnr, name = "pacore" })[1]
    return client ~= nil and client.initialized
  end, 50), "the pacore client did not attach")
  step("attached")
  out.root_dir = client.root_dir

  if vim.env.PACORE_TEST_CASE == "settings" then
    -- what setup() warned about (it ran before this script), then the health check, whose
    -- pacore.doctor round trip comes after any warning the server sent about the settings
    out.setup_problems = require("pacore.config").validate_settings(require("pacore").state.options.settings)
    vim.cmd("checkhealth pacore")
    out.health = buffer_text(vim.api.nvim_get_current_buf())
    step("health")
    return
  end

  local line, col = vim.env.PACORE_TEST_CURSOR:match("(%d+),(%d+)")
  vim.api.nvim_win_set_cursor(0, { tonumber(line), tonumber(col) })
  vim.cmd(vim.env.PACORE_TEST_COMMAND or "PacoreSolve") -- PacoreFix: a written function
  local state = require("pacore").state
  assert(vim.wait(30000, function()
    return state.last_solve ~= nil
  end, 50), "pacore.solve did not answer")
  out.solve = state.last_solve
  step("solving")

  if vim.env.PACORE_TEST_CASE == "cancel" then
    assert(vim.wait(30000, function()
      return #out.progress > 0
    end, 50), "no progress began")
    vim.cmd("PacoreCancel")
    assert(vim.wait(30000, progress_ended, 50), "the cancelled solve did not end")
    step("cancelled")
    vim.wait(1000) -- an edit arriving after the end would show up here
  elseif vim.env.PACORE_TEST_CASE == "stale" then
    -- the user keeps typing in the function while the solve runs
    local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
    for i, l in ipairs(lines) do
      if l:match("^%s+%.%.%.%s*$") then
        vim.api.nvim_buf_set_lines(bufnr, i - 1, i, false, { "    total = a  # my own attempt", "    return total + b" })
        break
      end
    end
    out.edited_text = buffer_text(bufnr)
    assert(vim.wait(240000, progress_ended, 100), "the solve did not end")
    -- the result arrives through window/showDocument: another buffer holding the solution
    vim.wait(15000, function()
      for _, b in ipairs(vim.api.nvim_list_bufs()) do
        if b ~= bufnr and vim.api.nvim_buf_is_loaded(b) and buffer_text(b):find("return a + b", 1, true) then
          return true
        end
      end
      return false
    end, 100)
  else
    local function edited()
      return buffer_text(bufnr):find("return a + b", 1, true) ~= nil
    end
    -- fail fast when the solve ends without an edit (a short grace for the edit itself)
    vim.wait(240000, function()
      return edited() or progress_ended()
    end, 100)
    assert(vim.wait(5000, edited, 50), "the solve ended without the edit")
    step("edited")
    assert(vim.wait(30000, progress_ended, 50), "the progress did not end")
  end
  out.text = buffer_text(bufnr)
  out.modified = vim.bo[bufnr].modified

  -- the status string for status lines is idle again
  out.status = require("pacore").status()

  -- :PacoreReport opens the report; :checkhealth pacore runs pacore.doctor
  vim.cmd("PacoreReport")
  vim.wait(20000, function()
    return vim.bo.filetype == "json"
  end, 50)
  out.report_text = buffer_text(vim.api.nvim_get_current_buf())
  step("report")
  -- :PacoreView writes the run page and opens it (vim.ui.open: xdg-open on PATH)
  local opened = vim.env.PACORE_TEST_OPENED
  vim.cmd("PacoreView")
  assert(vim.wait(30000, function()
    return vim.fn.filereadable(opened) == 1
  end, 50), "the run page was not opened")
  vim.wait(2000, function()
    for _, n in ipairs(out.notifications) do
      if n.message:find("PaCoRe: run page", 1, true) then
        return true
      end
    end
    return false
  end, 50)
  out.opened = vim.fn.readfile(opened)
  step("view")
  vim.cmd("checkhealth pacore")
  out.health = buffer_text(vim.api.nvim_get_current_buf())
  step("health")
end, debug.traceback)

finish(not ok and err or nil)
