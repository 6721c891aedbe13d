// Placeholder until the quick-start sample lands.
System.Console.WriteLine("TpCodegen");
