"""push-invoice, one concern a module: `file` reads the inputs (`fields` one invoice object,
`invoice` the model, `problems` what is wrong and where); `validate` checks them against the
store; `job` runs a push (`lookup` what Xero holds, `editing` whether Xero still allows a
change, `contacts` and `new_contacts` each client's contact, `payload` the JSON sent, `send`
the batches, `plan` an invoice's way through, `report` the outcome).
"""
