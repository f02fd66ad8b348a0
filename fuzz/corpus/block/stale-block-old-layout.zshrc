export PATH="$HOME/bin:$PATH"
# >>> codeloop >>>
export CODELOOP_API_KEY=cl_live_OLDLAYOUTKEY0001
# <<< codeloop <<<
alias g=git
